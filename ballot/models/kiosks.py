"""Enrolled kiosk devices (签到机 / 投票机)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from ballot.models.sessions import VoteSession

KIOSK_MODES = ("checkin", "voting")


class Kiosk(Base):
    """A device staff enrolled for one session; only hashes of its secrets are stored."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    mode: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Unrecognised scans in the current rate-limit window (kept here so all processes share it).
    failed_scans: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_scans_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[VoteSession] = relationship(viewonly=True)
