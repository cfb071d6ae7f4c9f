"""Writing the audit log, in the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from ballot.extensions import db
from ballot.models import AuditEntry, VoteSession


def record(actor: str, action: str, session: VoteSession | None = None, **detail: Any) -> None:
    """Add an audit entry for ``action`` by ``actor``; committed with the caller's change."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        session_id=session.id if session is not None else None,
        detail={k: _plain(v) for k, v in detail.items()},
    )
    db.session.add(entry)


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
