"""Check-in (签到): delegates scan their card at a check-in kiosk, or staff check them in by hand.

Attendance is one column per delegate, so counts are derived from the database and stay right
however many app processes serve the kiosks. The change is a conditional UPDATE, so two
kiosks scanning the same card at once record one check-in and tell the second it was already done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ballot.domain import rules
from ballot.domain.errors import (
    N_,
    CheckinNotOpen,
    InvalidInput,
    LateCheckinRefused,
    NotCheckedInYet,
)
from ballot.domain.states import Attendance, State
from ballot.extensions import db
from ballot.models import AuditEntry, Delegate, Kiosk, VoteSession, utcnow
from ballot.services import audit, credentials


@dataclass(frozen=True)
class CheckinResult:
    """The outcome of a check-in: who, when, whether they had already checked in, and whether
    they arrived after voting opened (late)."""

    delegate: Delegate
    checked_in_at: datetime
    already: bool
    late: bool = False


def _require_open(session: VoteSession) -> None:
    if rules.checkin_open(session.state, session.late_checkin):
        return
    if session.state == State.VOTING:
        raise LateCheckinRefused()
    raise CheckinNotOpen(state=rules.STATE_LABELS.get(session.state, session.state))


def _mark_present(delegate: Delegate, now: datetime) -> bool:
    """Set the delegate present unless they already are; True if this call did it."""
    result = db.session.execute(
        update(Delegate)
        .where(Delegate.id == delegate.id, Delegate.attendance != Attendance.PRESENT)
        .values(attendance=Attendance.PRESENT, checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(delegate, ["attendance", "checked_in_at"])
    return result.rowcount == 1


def scan(session: VoteSession, kiosk: Kiosk, text: str, now: datetime | None = None) -> CheckinResult:
    """Check in the delegate whose card reads ``text`` at ``kiosk``.

    Raises CheckinNotOpen, or UnknownCard / CardOfOtherSession / CardReplaced from the card check.
    """
    _require_open(session)
    delegate = credentials.identify(session, text)
    return _check_in(session, delegate, f"kiosk:{kiosk.id}", "checkin.kiosk", now,
                     kiosk=kiosk.name)


def staff_check_in(session: VoteSession, delegate: Delegate, actor: str, reason: str,
                   now: datetime | None = None) -> CheckinResult:
    """Check a delegate in by hand (e.g. forgotten card); a reason is required and audited."""
    _require_open(session)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写人工签到的原因（例如：忘带代表证）。"))
    return _check_in(session, delegate, actor, "checkin.staff", now, reason=reason[:200])


def _check_in(session: VoteSession, delegate: Delegate, actor: str, action: str,
              now: datetime | None, **detail) -> CheckinResult:
    now = now or utcnow()
    was_on_leave = delegate.attendance == Attendance.LEAVE
    if not _mark_present(delegate, now):
        return CheckinResult(delegate, delegate.checked_in_at, already=True)
    late = session.state == State.VOTING
    if late:
        detail["late"] = True
    audit.record(actor, action, session, delegate_id=delegate.id, name=delegate.name,
                 was_on_leave=was_on_leave, **detail)
    return CheckinResult(delegate, now, already=False, late=late)


def late_arrivals(session: VoteSession) -> int:
    """How many delegates checked in after voting had opened (from the audit log)."""
    details = db.session.execute(
        select(AuditEntry.detail).where(AuditEntry.session_id == session.id,
                                        AuditEntry.action.in_(("checkin.kiosk", "checkin.staff")))
    ).scalars()
    return len({d.get("delegate_id") for d in details if d and d.get("late")})


def undo_check_in(session: VoteSession, delegate: Delegate, actor: str, reason: str) -> None:
    """Undo a mistaken check-in while check-in is still open (before voting opens)."""
    if session.state != State.CHECKIN:
        raise CheckinNotOpen(state=rules.STATE_LABELS.get(session.state, session.state))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写撤销签到的原因。"))
    if delegate.attendance != Attendance.PRESENT:
        raise NotCheckedInYet(name=delegate.name)
    delegate.attendance = Attendance.ABSENT
    delegate.checked_in_at = None
    audit.record(actor, "checkin.undo", session, delegate_id=delegate.id, name=delegate.name,
                 reason=reason[:200])
