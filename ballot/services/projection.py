"""What the projection screen (大屏) shows besides the live figures: the arrival per 代表团 during
check-in and when the open round began. Read-only; the page and its JSON call these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from ballot.domain.states import Attendance
from ballot.extensions import db
from ballot.models import AuditEntry, Delegate, VoteSession


def delegation_arrivals(session: VoteSession) -> list[dict]:
    """Per 代表团 (in roster order of its first delegate): expected, present and on leave."""
    rows = db.session.execute(
        select(Delegate.delegation, func.count(),
               func.sum(case((Delegate.attendance == Attendance.PRESENT, 1), else_=0)),
               func.sum(case((Delegate.attendance == Attendance.LEAVE, 1), else_=0)),
               func.min(Delegate.roster_order))
        .where(Delegate.session_id == session.id)
        .group_by(Delegate.delegation)
        .order_by(func.min(Delegate.roster_order))
    ).all()
    return [{"name": name or "", "expected": expected, "present": int(present or 0),
             "leave": int(leave or 0)} for name, expected, present, leave, _first in rows]


def round_opened_at(session: VoteSession, number: int) -> datetime | None:
    """When round ``number`` was opened, from its audit entry (rounds keep no times of their own)."""
    entries = db.session.execute(
        select(AuditEntry.at, AuditEntry.detail)
        .where(AuditEntry.session_id == session.id, AuditEntry.action == "round.open")
        .order_by(AuditEntry.id.desc())
    ).all()
    for at, detail in entries:
        if (detail or {}).get("number") == number:
            return at
    return None
