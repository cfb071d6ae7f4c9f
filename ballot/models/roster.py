"""The delegate roster (代表名册) and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ballot.domain.states import Attendance
from ballot.models.base import Base, StateColumn, UTCDateTime


class Delegate(Base):
    """A delegate on a session's roster. Only a hash of their card credential is stored."""

    __tablename__ = "delegates"
    __table_args__ = (UniqueConstraint("session_id", "seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True
    )
    roster_order: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    delegation: Mapped[str] = mapped_column(String(120), default="")
    seat: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(40), default="")
    attendance: Mapped[Attendance] = mapped_column(StateColumn(Attendance, 10),
                                                   default=Attendance.ABSENT)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    card_version: Mapped[int] = mapped_column(default=0)
    card_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
