"""Sessions: create, edit, look up, and move through the lifecycle with readiness checks."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, func, select

from ballot.domain import rating, rules
from ballot.domain.errors import (
    MESSAGE_SEPARATOR,
    N_,
    InvalidInput,
    Listing,
    NotFound,
    NotReady,
    WrongState,
)
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
    under_way = [s for s in list_sessions(user) if s.state in ("locked", "checkin", "voting", "closed")]
    return under_way[0] if len(under_way) == 1 else None


def parse_settings(form: dict) -> dict:
    """Validate session settings from a form or API body; InvalidInput lists every bad field."""
    errors: list[str] = []
    values: dict = {}
    title = (form.get("title") or "").strip()
    if not title:
        errors.append(N_("请填写会议名称。"))
    values["title"] = title[:200]
    values["congress"] = (form.get("congress") or "").strip()[:120] or title[:120]
    level = (form.get("level") or "乡镇").strip()
    if level not in rules.LEVELS:
        errors.append(N_("会议级别只能是 乡镇、县 或 市。"))
    values["level"] = level
    try:
        values["date"] = dt.date.fromisoformat(str(form.get("date") or "").strip())
    except ValueError:
        errors.append(N_("请按 2027-01-15 的格式填写会议日期。"))
    try:
        values["year"] = int(form.get("year") or (values.get("date") or dt.date.today()).year)
        if not 2000 <= values["year"] <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(N_("项目年度须为整数，例如 2027。"))
    try:
        quota = int(str(form.get("quota") or "").strip())
        if not 1 <= quota <= 500:
            raise ValueError
        values["quota"] = quota
    except ValueError:
        errors.append(N_("应选项目数须为 1 到 500 之间的整数。"))
    mode = str(form.get("mode") or "contested")
    if mode not in ("contested", "uncontested"):
        errors.append(N_("票决方式只能是差额或等额。"))
    values["contested"] = mode != "uncontested"
    try:
        ratio = Decimal(str(form.get("min_excess_ratio") or "0.20").strip().rstrip("%"))
        if ratio > 1:  # typed as a percentage, e.g. "20"
            ratio = ratio / 100
        if not Decimal(0) <= ratio <= Decimal(1):
            raise InvalidOperation
        values["min_excess_ratio"] = ratio.quantize(Decimal("0.01"))
    except InvalidOperation:
        errors.append(N_("最低差额比例须为 0 到 100% 之间的数，例如 20%。"))
    if not values["contested"]:
        values["min_excess_ratio"] = Decimal("0.00")
    pass_basis = str(form.get("pass_basis") or "roster")
    if pass_basis not in rules.PASS_BASES:
        errors.append(N_("通过规则只能是全体代表过半数或实到代表过半数。"))
    values["pass_basis"] = pass_basis
    late = str(form.get("late_checkin") or "allowed")
    if late not in ("allowed", "refused"):
        errors.append(N_("投票开始后报到只能是允许或不允许。"))
    values["late_checkin"] = late != "refused"
    for key in ("chief_scrutineer", "scrutineers", "counters"):
        values[key] = (form.get(key) or "").strip()[:400]
    # An unticked checkbox sends nothing; JSON bodies send true/false.
    values["is_drill"] = form.get("drill") in (True, "1", "on", "true")
    if errors:
        raise InvalidInput(N_("会议设置有误：%(errors)s"), errors=Listing(errors, MESSAGE_SEPARATOR))
    return values


def in_own_congress(values: dict, user: User) -> dict:
    """``values`` with the congress of a staff account bound to one congress (it may create
    and edit only that congress's sessions, whatever the form said); admins and staff of no
    particular congress keep the congress they gave."""
    if user.role != "admin" and user.congress:
        values["congress"] = user.congress
    return values


def create_session(values: dict, slug: str | None, actor: str) -> VoteSession:
    """Create a draft session from validated ``values``."""
    slug = (slug or "").strip().lower() or _free_slug(values["date"])
    if not SLUG_RE.match(slug):
        raise InvalidInput(N_("简称只能由小写字母、数字和连字符组成（2 到 39 个字符），例如 demo-2027。"))
    if db.session.execute(select(VoteSession.id).where(VoteSession.slug == slug)).first():
        raise InvalidInput(N_("简称“%(slug)s”已被使用，请换一个。"), slug=slug)
    session = VoteSession(slug=slug, state="draft", **values)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, slug=slug, title=session.title)
    return session


def update_session(session: VoteSession, values: dict, actor: str) -> None:
    """Change a draft session's settings (rules freeze when the list is locked)."""
    if session.state != "draft":
        raise WrongState(state=rules.STATE_LABELS[session.state])
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


def counts(session: VoteSession) -> dict[str, int]:
    """Attendance and list counts: 应到, 实到, 请假, 未到, candidates."""
    rows = db.session.execute(
        select(Delegate.attendance, func.count())
        .where(Delegate.session_id == session.id)
        .group_by(Delegate.attendance)
    ).all()
    by_state = dict(rows)
    expected = sum(by_state.values())
    candidates = db.session.execute(
        select(func.count()).select_from(Candidate).where(Candidate.session_id == session.id)
    ).scalar_one()
    present = by_state.get("present", 0)
    return {
        "expected": expected,
        "present": present,
        "leave": by_state.get("leave", 0),
        "absent": by_state.get("absent", 0),
        "candidates": candidates,
        "quorum_needed": rules.quorum_needed(expected),
        "quorum_met": rules.quorum_met(expected, present),
    }


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
        quota=(c["candidates"] or session.quota) if session.kind == rating.KIND_RATING
        else session.quota,
        contested=session.contested,
        min_excess_ratio=session.min_excess_ratio,
        candidate_count=c["candidates"],
        untitled_candidates=untitled,
        delegate_count=c["expected"],
        present_count=c["present"],
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
        if source == session.state and target not in ("draft", "published", "voting")
        or (source == session.state == "checkin" and target == "voting")
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
