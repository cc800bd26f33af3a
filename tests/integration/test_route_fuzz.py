"""Property: no route answers 5xx, whatever its parameters. Every rule of the app's url_map
and each of its methods gets generated path segments, query strings, form fields and JSON
bodies (NUL, huge and unicode-digit numbers, lone surrogates, lists, nested objects, very
long text) from a logged-in user with a valid CSRF token.
The webhook is fuzzed by its own tests (it is HMAC-authenticated, not session-based)."""
import json
import re
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Article, Conversation, Source
from tests.conftest import csrf_headers, login
from tests.factories import user

SKIP = ("/webhooks/mailersend",)
EXAMPLES = 40  # per route and method: the whole map in about 15 s
HUGE = str(10**20)
NASTY = st.sampled_from([
    "\x00", "a\x00b", "²", "١٢", "-1", "0", HUGE, "9" * 5000, "\r\nX-Evil: 1", "", " ",
    "%00", "<script>alert(1)</script>", "1e999", "NaN", "true", "[]", "{}", "../..",
    "//evil.example", "\u2028", "\ufeff", "Ω" * 2000])
NUMBER = st.one_of(st.integers(-2**70, 2**70).map(str), st.integers(0, 99).map(
    lambda n: str(n).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))))
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
# Text that can travel in a URL or a form (HTTP carries no lone surrogates: bad bytes are
# decoded to U+FFFD), and text that can travel in JSON (surrogates too).
TEXT = st.one_of(NASTY, NUMBER, SAFE_TEXT, SAFE_TEXT.map(lambda s: s * 300))
JSON_TEXT = st.one_of(TEXT, st.text(max_size=20))
# A valid value for every parameter some route reads.
VALID = {"page": "2", "per_page": "5", "q": "kelp", "limit": "5", "mode": "lexical",
         "token": "t" * 43, "next": "/articles", "email": "ann@example.com",
         "message": "What happened to the kelp?", "conversation_id": "1", "title": "Kelp",
         "summary": "About kelp.", "category": "science", "text": "Kelp forests shrink."}
NAMES = sorted(VALID)
SCALAR = st.one_of(JSON_TEXT, st.integers(), st.integers(min_value=2**63),
                   st.floats(allow_nan=False), st.booleans(), st.none())
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8),
                                                 inner, max_size=5)), max_leaves=12)


def one_bad(values):
    """Some parameters valid and one hostile (so validation of the others cannot hide it),
    or each parameter hostile or absent."""
    valid = st.fixed_dictionaries({}, optional={n: st.just(v) for n, v in VALID.items()})
    return st.one_of(
        st.tuples(valid, st.sampled_from(NAMES), values).map(lambda t: {**t[0], t[1]: t[2]}),
        st.fixed_dictionaries({}, optional={**{n: values for n in NAMES}, "?": values}))


QUERY = one_bad(TEXT)
BODY = st.one_of(one_bad(JSON), JSON)
_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def routes(app):
    """(rule pattern, method) for every route we fuzz."""
    return [(rule.rule, method) for rule in app.url_map.iter_rules()
            if rule.rule not in SKIP for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def segment(real):
    """A path segment: the user's own id (when there is one), another number, or text."""
    return st.one_of(st.just(real or "1"), st.just(real or "1"),
                     st.integers(min_value=0).map(str),
                     TEXT.filter(bool).map(lambda s: urllib.parse.quote(s, safe="")))


def fixtures(ann):
    """{path argument: an id the user owns}; what a previous example deleted is re-made."""
    article = Article.get_or_none(Article.user == ann) or Article.create(
        user=ann, title="Kelp forests", summary="Kelp.", content_text="Kelp forests shrink.",
        category="science", metadata={})
    source = Source.get_or_none(Source.article == article) or Source.create(
        article=article, type="email", name="Kelp", raw_text="Kelp forests shrink.")
    conversation = Conversation.get_or_none(Conversation.user == ann) or \
        Conversation.create(user=ann, title="Kelp talk")
    return {"article_id": str(article.id), "source_id": str(source.id),
            "conversation_id": str(conversation.id)}


def send(client, method, path, query, body, how, headers):
    """One request with the body sent as `how` (json, form or none); returns the status."""
    kwargs = {"query_string": query, "headers": headers}
    if how == "json":
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif how == "form":
        form = body if isinstance(body, dict) else {"value": body}
        kwargs["data"] = {**{str(k): v if isinstance(v, str) else json.dumps(v)
                             for k, v in form.items()}, "csrf_token": headers["X-CSRF-Token"]}
    resp = client.open(path, method=method, **kwargs)
    resp.get_data()  # run a stream to its end: errors inside it count too
    resp.close()     # and release what it holds (the chat stream slot)
    return resp.status_code


def fuzz(client, ann, pattern, method):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data(), query=QUERY, body=BODY, how=st.sampled_from(["json", "form", "none"]))
    def check(data, query, body, how):
        ids = fixtures(ann)
        path = _ARG.sub(lambda m: data.draw(segment(ids.get(m.group(1))), label=m.group(1)),
                        pattern)
        login(client, ann)  # /logout may have ended the last session
        status = send(client, method, path, query, body, how, csrf_headers(client))
        assert status < 500, f"{method} {path} answered {status}"
    try:
        check()
    except AssertionError as exc:  # go on: one run should name every failing route
        return "\n".join([f"{method} {pattern}: {exc}", *getattr(exc, "__notes__", [])])
    return None


def test_no_route_answers_5xx(app, client, config):
    config(API_RATE_PER_MINUTE=1_000_000, LOGIN_RATE_PER_IP_PER_HOUR=1_000_000,
           LOGIN_RATE_PER_HOUR=1_000_000)
    ann = user()
    pairs = routes(app)
    assert len(pairs) > 20 and ("/chat/stream", "POST") in pairs
    failures = [f for f in (fuzz(client, ann, p, m) for p, m in pairs) if f]
    assert not failures, "\n\n".join(failures)
