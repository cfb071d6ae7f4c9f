"""The append-only audit log of staff actions.

Never write anything here that could link a delegate to a ballot: no tokens, ballot ids,
tracking codes, choices, or the moment a ballot was issued. The one exception is what DESIGN §3
asks to audit: a kiosk's return, a staff release and a kiosk's reissue after a rescan record
when a delegate's unused ballot was voided, at which kiosk and why (a reissue thereby also when a
fresh one was issued there); none of them names a token or a ballot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ballot.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One staff action: who, what, on which session, when (UTC)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise RuntimeError("the audit log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise RuntimeError("the audit log is append-only")
