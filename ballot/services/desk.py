"""The check-in desk for a county roster (400 delegates): find a delegate fast by name, seat,
delegation or pinyin initials (张建国 → zjg), filter by attendance, and the attendance lists
the office files: the 签到表 (every delegate, times, late, leave, absent) and the 未到名单.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import datetime

from pypinyin import Style, lazy_pinyin, pinyin
from sqlalchemy import select

from ballot.domain.errors import N_
from ballot.domain.states import Attendance
from ballot.extensions import db
from ballot.models import AuditEntry, Delegate, VoteSession
from ballot.services import localtime, roster

STATUSES = ("all", "present", "absent", "leave")
STATUS_LABELS = {"present": N_("已到"), "absent": N_("未到"), "leave": N_("请假")}


@functools.lru_cache(maxsize=8192)
def pinyin_keys(name: str) -> tuple[str, ...]:
    """Lower-case search keys for a Chinese name: its initials and its full pinyin, with every
    reading of the surname (曾 is zeng as a surname, ceng elsewhere): 曾国华 → (cgh, zgh,
    cengguohua, zengguohua)."""
    if not name:
        return ()
    surname = {r for r in pinyin(name[0], style=Style.NORMAL, heteronym=True)[0] if r}
    rest = lazy_pinyin(name[1:], errors="ignore")
    keys: list[str] = []
    for reading in sorted(surname) or [""]:
        keys.append("".join(p[:1] for p in [reading, *rest]).lower())
    for reading in sorted(surname) or [""]:
        keys.append("".join([reading, *rest]).lower())
    return tuple(dict.fromkeys(k for k in keys if k))


def search_text(delegate: Delegate) -> str:
    """Everything a desk search matches, in one lower-case string (also the rows' data-search)."""
    return " ".join([delegate.name, delegate.seat, delegate.delegation,
                     *pinyin_keys(delegate.name)]).lower()


def matches(delegate: Delegate, query: str) -> bool:
    """True when every word of ``query`` occurs in the delegate's name, seat, delegation or
    pinyin (initials or full)."""
    text = search_text(delegate)
    return all(word in text for word in query.lower().split())


def filter_delegates(delegates: list[Delegate], query: str = "",
                     status: str = "all") -> list[Delegate]:
    """The delegates that match ``query`` (see ``matches``) with attendance ``status``."""
    query = (query or "").strip()[:60]
    status = status if status in STATUSES else "all"
    return [d for d in delegates
            if (status == "all" or d.attendance == status) and (not query or matches(d, query))]


@dataclass(frozen=True)
class AttendanceRow:
    """One line of the 签到表 / 未到名单."""

    order: int
    seat: str
    name: str
    delegation: str
    status: str  # 已到 / 请假 / 缺席 (未到 before check-in closes)
    checked_in_at: datetime | None
    late: bool
    reason: str  # the leave reason, or the staff check-in reason

    def as_dict(self) -> dict:
        """Column name → value, as the lists print them."""
        return {"序号": self.order, "座位号": self.seat, "姓名": self.name,
                "代表团/选区": self.delegation, "状态": self.status,
                "签到时间": (f"{localtime.date_text(self.checked_in_at)} "
                         f"{localtime.time_text(self.checked_in_at, seconds=True)}"
                         if self.checked_in_at else ""),
                "迟到": "是" if self.late else "", "说明": self.reason}


SIGNIN_HEADERS = ("序号", "座位号", "姓名", "代表团/选区", "状态", "签到时间", "迟到", "说明")
ABSENT_HEADERS = ("序号", "座位号", "姓名", "代表团/选区", "状态", "说明")


def voting_opened_at(session: VoteSession) -> datetime | None:
    """When round 1 opened (the audit log records it): a check-in after it is late."""
    return db.session.execute(
        select(AuditEntry.at).where(AuditEntry.session_id == session.id,
                                    AuditEntry.action == "round.open")
        .order_by(AuditEntry.id).limit(1)).scalar_one_or_none()


def _reasons(session: VoteSession) -> dict[int, str]:
    """The latest leave or staff check-in reason per delegate, from the audit log."""
    reasons: dict[int, str] = {}
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.session_id == session.id,
               AuditEntry.action.in_(("delegate.leave", "delegate.leave_cleared",
                                      "checkin.staff", "checkin.undo")))
        .order_by(AuditEntry.id)).all()
    for action, detail in rows:
        detail = detail or {}
        delegate_id = detail.get("delegate_id")
        if not isinstance(delegate_id, int):
            continue
        if action in ("delegate.leave", "checkin.staff"):
            label = "请假" if action == "delegate.leave" else "人工签到"
            reason = str(detail.get("reason") or "").strip()
            reasons[delegate_id] = f"{label}：{reason}" if reason else label
        else:
            reasons.pop(delegate_id, None)
    return reasons


def attendance_rows(session: VoteSession, only_missing: bool = False) -> list[AttendanceRow]:
    """The 签到表 in roster order (``only_missing``: the 未到名单, leave and absent only)."""
    opened = voting_opened_at(session)
    reasons = _reasons(session)
    # Before voting opens a delegate not yet here is 未到; after, they were absent (缺席).
    absent_word = "缺席" if opened is not None else "未到"
    rows = []
    for delegate in roster.list_delegates(session):
        if only_missing and delegate.attendance == Attendance.PRESENT:
            continue
        status = {Attendance.PRESENT: "已到", Attendance.LEAVE: "请假"}.get(delegate.attendance,
                                                                      absent_word)
        late = bool(delegate.attendance == Attendance.PRESENT and opened and delegate.checked_in_at
                    and delegate.checked_in_at > opened)
        rows.append(AttendanceRow(delegate.roster_order, delegate.seat, delegate.name,
                                  delegate.delegation, status, delegate.checked_in_at
                                  if delegate.attendance == Attendance.PRESENT else None, late,
                                  reasons.get(delegate.id, "")))
    return rows


def group_counts(rows: list[AttendanceRow]) -> dict[str, int]:
    """How many of each status (已到, 请假, 缺席/未到) and how many late."""
    counts = {status: len(list(group)) for status, group in
              itertools.groupby(sorted(r.status for r in rows))}
    counts["迟到"] = sum(r.late for r in rows)
    return counts
