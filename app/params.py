"""Bounded request parameters: every view reads its query, form and JSON values through here,
so hostile input (huge or non-ASCII numbers, NUL, over-long text, wrong JSON types) is a
400 naming the field instead of a 500 from int(), Postgres or a type error.

    args = Params(request.args)
    page = args.int("page", default=1, low=1, high=MAX_PAGE)
    q = args.text("q", limit=1000)
    args.done()          # raises ParamError (400) naming every bad field
"""
import re

from werkzeug.exceptions import BadRequest

MAX_ID = 2**63 - 1  # ids are bigserial
_DIGITS = re.compile(r"[0-9]{1,30}")  # ASCII only: "²".isdigit() is True but int() fails
# NUL cannot be stored in Postgres text; lone surrogates (valid in JSON) cannot be encoded.
_NEVER = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ParamError(BadRequest):
    """400 whose description names each bad field; `fields` is {name: problem}."""

    def __init__(self, fields):
        self.fields = dict(fields)
        super().__init__(description="invalid parameters: " + "; ".join(
            f"{name} {problem}" for name, problem in self.fields.items()))


def integer(value, low, high):
    """`value` (an int, or a string of ASCII digits) within [low, high], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = int(value) if _DIGITS.fullmatch(value) else None
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def text_problem(value, limit, single_line=False):
    """Why `value` is not acceptable text of at most `limit` characters, or None.
    Single-line text (titles, names) also refuses line breaks and control characters."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if _NEVER.search(value):
        return "must not contain NUL characters or invalid Unicode"
    if single_line and _CONTROL.search(value):
        return "must not contain line breaks or control characters"
    return None


class Params:
    """Reads bounded values from a mapping (request.args, request.form or a JSON object),
    collecting the problems so one 400 can name them all."""

    def __init__(self, source):
        self.source, self.errors = source, {}

    def int(self, name, default, low, high):
        """The integer `name` within [low, high]; `default` when absent or empty."""
        raw = self.source.get(name)
        if raw is None or raw == "":
            return default
        value = integer(raw, low, high)
        if value is None:
            self.errors[name] = f"must be an integer from {low} to {high}"
        return value if value is not None else default

    def text(self, name, limit, default="", single_line=False):
        """The text `name` (at most `limit` characters); `default` when absent."""
        raw = self.source.get(name)
        if raw is None:
            return default
        problem = text_problem(raw, limit, single_line)
        if problem:
            self.errors[name] = problem
            return default
        return raw

    def refuse(self, name, problem):
        """Record a problem the caller found (a value outside a set, an empty question),
        unless `name` already has one."""
        self.errors.setdefault(name, problem)

    def done(self):
        """Raise ParamError when any value read so far was bad."""
        if self.errors:
            raise ParamError(self.errors)
