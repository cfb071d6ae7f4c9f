"""Sessions: create, edit, look up, and move through the lifecycle with readiness checks."""

from __future__ import annotations

import datetime as dt
import functools
import re

from sqlalchemy import bindparam, func, select

from ballot.domain import rating, rules
from ballot.domain.errors import N_, InvalidInput, NotFound, NotReady, WrongState
from ballot.domain.fields import SessionSettings
from ballot.domain.states import Attendance, State
from ballot.extensions import db
from ballot.models import Candidate, Delegate, Kiosk, User, VoteSession
from ballot.services import audit

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}$")


@functools.cache
def _lookup_statement(by_id: bool):
    """Built once: every page of a session (and the chair screens' polls) looks it up."""
    return select(VoteSession).where(
        (VoteSession.id if by_id else VoteSession.slug) == bindparam("ref"))


def parse_ref(ref: str | int) -> tuple[bool, int | str] | None:
    """(True, id) or (False, short name) for a session reference from a URL, or None for one
    no session can have."""
    text = str(ref).strip()
    if "\x00" in text:  # not in a short name, and PostgreSQL refuses it in a query
        return None
    # ASCII digits that fit the id column are an id ("²" is a digit too, to Python).
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) < 2**31:
        return True, int(text)
    return False, text


def session_not_found(ref: str | int) -> NotFound:
    """The error for a session that is missing or outside the user's congress (the same one)."""
    return NotFound(N_("找不到会议“%(ref)s”。"), ref=str(ref).strip())


def get_session(ref: str | int, user: User | None = None) -> VoteSession:
    """Find a session by id or short name; NotFound if missing or outside ``user``'s congress."""
    parsed = parse_ref(ref)
    session = None if parsed is None else db.session.execute(
        _lookup_statement(parsed[0]), {"ref": parsed[1]}).scalar_one_or_none()
    if session is None or (user is not None and not can_access(user, session.congress)):
        raise session_not_found(ref)
    return session


def can_access(user: User, congress: str) -> bool:
    """Admins see every session; other staff only their own congress's."""
    return user.role == "admin" or user.congress in (None, congress)


def list_sessions(user: User | None = None) -> list[VoteSession]:
    """Sessions visible to ``user``, newest first."""
    stmt = select(VoteSession).order_by(VoteSession.date.desc(), VoteSession.id.desc())
    if user is not None and user.role != "admin" and user.congress is not None:
        stmt = stmt.where(VoteSession.congress == user.congress)
    return list(db.session.execute(stmt).scalars())


def visible_session_ids(user: User) -> list[int] | None:
    """Sessions whose audit entries ``user`` may read: None for an admin (every entry), else the
    sessions of their congress (entries with no session, such as logins, are admin only)."""
    if user.role == "admin":
        return None
    return [s.id for s in list_sessions(user)]


def session_day(user: User) -> VoteSession | None:
    """The one session ``user`` may see that is under way (list locked, check-in, voting or
    count), if there is exactly one: where a chair's login leads straight to its console."""
    under_way = [s for s in list_sessions(user)
                 if s.state in (State.LOCKED, State.CHECKIN, State.VOTING, State.CLOSED)]
    return under_way[0] if len(under_way) == 1 else None


def in_own_congress(settings: SessionSettings, user: User) -> SessionSettings:
    """``settings`` with the congress of a staff account bound to one congress (it may create
    and edit only that congress's sessions, whatever the form said); admins and staff of no
    particular congress keep the congress they gave."""
    if user.role != "admin" and user.congress:
        return settings.replace(congress=user.congress)
    return settings


def create_session(settings: SessionSettings, slug: str | None, actor: str) -> VoteSession:
    """Create a draft session with ``settings``."""
    slug = (slug or "").strip().lower() or _free_slug(settings.date)
    if not SLUG_RE.match(slug):
        raise InvalidInput(N_("简称只能由小写字母、数字和连字符组成（2 到 39 个字符），例如 demo-2027。"))
    if db.session.execute(select(VoteSession.id).where(VoteSession.slug == slug)).first():
        raise InvalidInput(N_("简称“%(slug)s”已被使用，请换一个。"), slug=slug)
    session = VoteSession(slug=slug, state=State.DRAFT, **settings.columns())
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, slug=slug, title=session.title)
    return session


def update_session(session: VoteSession, settings: SessionSettings, actor: str) -> None:
    """Change a draft session's settings (rules freeze when the list is locked; its kind,
    票决 or 测评, never changes)."""
    if session.state != State.DRAFT:
        raise WrongState(state=rules.STATE_LABELS[session.state])
    values = {k: v for k, v in settings.columns().items() if k != "kind"}
    for key, value in values.items():
        setattr(session, key, value)
    audit.record(actor, "session.update", session, **{k: str(v) for k, v in values.items()})


def _free_slug(date: dt.date) -> str:
    base = f"s{date:%Y%m%d}"
    slug, n = base, 1
    while db.session.execute(select(VoteSession.id).where(VoteSession.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def counts(session: VoteSession) -> rules.SessionCounts:
    """Attendance and list counts: 应到, 实到, 请假, 未到, candidates."""
    rows = db.session.execute(
        select(Delegate.attendance, func.count())
        .where(Delegate.session_id == session.id)
        .group_by(Delegate.attendance)
    ).all()
    by_state = dict(rows)
    candidates = db.session.execute(
        select(func.count()).select_from(Candidate).where(Candidate.session_id == session.id)
    ).scalar_one()
    return rules.SessionCounts(
        present=by_state.get(Attendance.PRESENT, 0), leave=by_state.get(Attendance.LEAVE, 0),
        absent=by_state.get(Attendance.ABSENT, 0), candidates=candidates)


def facts(session: VoteSession, **extra) -> rules.SessionFacts:
    """The plain facts the readiness rules need about ``session``."""
    c = counts(session)
    untitled = sum(1 for cand in session.candidates if not cand.title.strip())
    voting_kiosks = db.session.execute(
        select(func.count()).select_from(Kiosk).where(
            Kiosk.session_id == session.id, Kiosk.mode == "voting", Kiosk.revoked_at.is_(None)
        )
    ).scalar_one()
    return rules.SessionFacts(
        state=session.state,
        # A 测评 rates every project it lists: no quota to fill (lock_list stores the count).
        quota=(c.candidates or session.quota) if session.kind == rating.KIND_RATING
        else session.quota,
        contested=session.contested,
        min_excess_ratio=session.min_excess_ratio,
        candidate_count=c.candidates,
        untitled_candidates=untitled,
        delegate_count=c.expected,
        present_count=c.present,
        voting_kiosks=voting_kiosks,
        has_key=session.public_key is not None,
        box_sealed=session.box_public_key is not None,
        **extra,
    )


def next_problems(session: VoteSession) -> dict[str, list[rules.Problem]]:
    """Readiness for each move possible from the current state (for the session page)."""
    return {
        target: rules.problems_before(target, facts(session))
        for (source, target) in sorted(rules.TRANSITIONS)
        if source == session.state and target not in (State.DRAFT, State.PUBLISHED, State.VOTING)
        or (source == session.state == State.CHECKIN and target == State.VOTING)
    }


def transition(session: VoteSession, target: str, actor: str, **extra) -> None:
    """Move ``session`` to ``target`` or raise NotReady listing every problem."""
    problems = rules.problems_before(target, facts(session, **extra))
    if problems:
        raise NotReady(problems, target=rules.STATE_LABELS.get(target, target))
    source = session.state
    session.state = target
    audit.record(actor, "session.state", session, source=source, target=target)


def require_state(session: VoteSession, *states: str) -> None:
    """Raise WrongState unless ``session`` is in one of ``states``."""
    if session.state not in states:
        raise WrongState(state=rules.STATE_LABELS[session.state])
