"""Public pages (no login): the list of sessions and each session's public key.

A draft is nobody's business outside its congress: the index never lists one, and a draft's
public pages answer 404 (as a session that does not exist) to everyone but the logged-in staff
of its congress (and admins).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from ballot.domain import rules
from ballot.domain.states import State
from ballot.models import VoteSession
from ballot.services import keys, sessions, tracking
from ballot.web.guards import current_user

bp = Blueprint("public", __name__)


def public_session(ref: str) -> VoteSession:
    """The session ``ref`` for a public page; NotFound for a draft seen from outside."""
    session = sessions.get_session(ref)
    if session.state == State.DRAFT:
        user = current_user()
        if user is None or not sessions.can_access(user, session.congress):
            raise sessions.session_not_found(ref)
    return session


@bp.route("/")
def index():
    """The public landing page: sessions past their draft, the years of tracked projects."""
    listed = [s for s in sessions.list_sessions() if s.state != State.DRAFT]
    return render_template("public/index.html", sessions=listed, labels=rules.STATE_LABELS,
                           years=tracking.tracked_years())


@bp.route("/s/<ref>/key.pem")
def public_key(ref: str):
    """The session's public key (PEM), for verifiers."""
    session = public_session(ref)
    if session.public_key is None:
        abort(404)
    return Response(session.public_key, mimetype="application/x-pem-file")


@bp.route("/s/<ref>/")
def session_home(ref: str):
    """A session's public page: state and key fingerprint."""
    session = public_session(ref)
    return render_template("public/session.html", session=session, labels=rules.STATE_LABELS,
                           fingerprint=keys.spoken_fingerprint(session))
