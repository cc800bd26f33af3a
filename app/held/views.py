"""/held: a user's own held deliveries (their From: is the user's address, but the mail did
not prove it), to accept into their library or discard. Thin: parse, call, render."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from app.auth.sessions import login_required
from app.held import service
from app.models import InboundEvent

bp = Blueprint("held", __name__)
SHOWN = 100


@bp.get("/held")
@login_required
def index():
    events = list(InboundEvent.held_for(g.user.email).limit(SHOWN))
    return render_template("held/index.html", events=[(e, _preview(e)) for e in events])


@bp.post("/held/<int:event_id>/accept")
@login_required
def accept(event_id):
    service.release(_own(event_id), g.user, f"user {g.user.id}")
    flash("Accepted: it will appear in your articles in a moment.", "success")
    return redirect(url_for("held.index"))


@bp.post("/held/<int:event_id>/discard")
@login_required
def discard(event_id):
    service.drop(_own(event_id), f"user {g.user.id}")
    flash("Discarded.", "success")
    return redirect(url_for("held.index"))


def _own(event_id):
    """Only a held delivery whose From: is this user's address; anything else is a 404."""
    return service.held(event_id, g.user.email) or abort(404)


def _preview(event):
    """The first lines of the text part, for recognising the mail (shown escaped)."""
    try:
        data = event.payload().get("data") or {}
    except ValueError:
        return ""
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    return " ".join(text[:2000].split())[:300]
