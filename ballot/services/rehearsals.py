"""Rehearsals (演练): clone a session as a drill, reset a drill for another run, delete a drill.

A drill is an ordinary session with ``is_drill`` set: the same roster and candidates as the
session it was cloned from, its own key and cards, marked 演练 wherever it appears. Only drills
may be reset or deleted; a real session's record is never thrown away.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ballot.domain.errors import NotADrill
from ballot.domain.fields import SessionSettings
from ballot.domain.states import Attendance, State
from ballot.extensions import db
from ballot.models import Base, Candidate, Delegate, Kiosk, VoteSession
from ballot.services import audit, candidates, rating_sessions, sessions

# Tables whose rows describe a session's setup (kept by a reset) rather than a run of it.
SETUP_TABLES = {"vote_sessions", "candidates", "delegates", "kiosks", "audit_log"}
COPIED_SETTINGS = ("congress", "title", "level", "date", "year", "quota", "contested",
                   "min_excess_ratio", "pass_basis", "late_checkin", "chief_scrutineer", "scrutineers",
                   "counters")


def drill_slug(source_slug: str) -> str:
    """A free short name for a drill of ``source_slug``: <slug>-drill, -drill-2, …"""
    base = f"{source_slug[:32]}-drill"
    slug, n = base, 1
    while db.session.execute(select(VoteSession.id).where(VoteSession.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def clone_as_drill(source: VoteSession, actor: str, key_secret: str) -> VoteSession:
    """A drill with ``source``'s settings, candidates and roster; locked with its own key when
    ``source``'s list is locked, so the rehearsal can start check-in at once."""
    drill = sessions.create_session(
        SessionSettings(**{name: getattr(source, name) for name in COPIED_SETTINGS}, is_drill=True),
        drill_slug(source.slug), actor)
    for c in source.candidates:
        db.session.add(Candidate(session_id=drill.id, position=c.position, title=c.title,
                                 summary=c.summary, category=c.category,
                                 department=c.department, budget=c.budget, source=c.source))
    for d in db.session.execute(select(Delegate).where(Delegate.session_id == source.id)
                                .order_by(Delegate.roster_order)).scalars():
        db.session.add(Delegate(session_id=drill.id, roster_order=d.roster_order, name=d.name,
                                delegation=d.delegation, seat=d.seat, phone=d.phone))
    db.session.flush()
    db.session.refresh(drill)
    audit.record(actor, "session.drill_cloned", drill, source=source.slug)
    if source.state != State.DRAFT:
        candidates.lock_list(drill, actor, key_secret)
    return drill


def _require_drill(session: VoteSession) -> None:
    if not session.is_drill:
        raise NotADrill(title=session.title)


def reset_drill(session: VoteSession, actor: str, key_secret: str) -> None:
    """Put a drill back to before check-in: rounds, ballots, tokens, check-ins and the result
    are removed; the roster, candidates, cards and paired kiosks stay; a locked drill gets a
    fresh key (nothing signed in the earlier run can pass for this run's)."""
    _require_drill(session)
    was_locked = session.state != State.DRAFT
    # A 测评 drill's grades sit on the rated 票决's tracking records: take them back first.
    rating_sessions.undo_ratings(session, actor)
    # Every run-time table (including ones added later) that hangs off the session, children
    # first so foreign keys hold on both engines.
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in SETUP_TABLES and "session_id" in table.c:
            db.session.execute(delete(table).where(table.c.session_id == session.id))
    db.session.execute(update(Delegate).where(Delegate.session_id == session.id)
                       .values(attendance=Attendance.ABSENT, checked_in_at=None))
    db.session.execute(update(Kiosk).where(Kiosk.session_id == session.id)
                       .values(failed_scans=0, failed_scans_since=None))
    for name in ("scrutineer_confirmed_by", "chair_confirmed_by", "result_document",
                 "result_signature"):
        setattr(session, name, None)
    source = session.state
    session.state = State.DRAFT
    candidates.unlock_keys(session)
    db.session.flush()
    db.session.expire_all()
    audit.record(actor, "session.drill_reset", session, source=source)
    if was_locked:
        candidates.lock_list(session, actor, key_secret)


def delete_drill(session: VoteSession, actor: str) -> None:
    """Delete a drill with everything it holds, its kiosks included (they stop working)."""
    _require_drill(session)
    rating_sessions.undo_ratings(session, actor)
    audit.record(actor, "session.drill_deleted", None, slug=session.slug, title=session.title)
    session_id = session.id
    for candidate in session.__dict__.get("candidates", []):
        db.session.expunge(candidate)
    db.session.expunge(session)
    # The database cascades to candidates, roster, kiosks, rounds and board; audit entries keep
    # their text and lose only the link to the deleted session.
    db.session.execute(delete(VoteSession).where(VoteSession.id == session_id))
    db.session.flush()
