"""Public pages (no login): the list of sessions and each session's public key."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from ballot.domain import rules
from ballot.services import keys, sessions

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    """The public landing page: sessions and where to verify them."""
    return render_template("public/index.html", sessions=sessions.list_sessions(),
                           labels=rules.STATE_LABELS)


@bp.route("/s/<ref>/key.pem")
def public_key(ref: str):
    """The session's public key (PEM), for verifiers."""
    session = sessions.get_session(ref)
    if session.public_key is None:
        abort(404)
    return Response(session.public_key, mimetype="application/x-pem-file")


@bp.route("/s/<ref>/")
def session_home(ref: str):
    """A session's public page: state and key fingerprint."""
    session = sessions.get_session(ref)
    return render_template("public/session.html", session=session, labels=rules.STATE_LABELS,
                           fingerprint=keys.spoken_fingerprint(session))
