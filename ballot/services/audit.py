"""The audit log: writing entries in the same transaction as the change, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

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


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first, with what the pager needs."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def query(visible: list[int] | None, *, session_id: int | None = None, actor: str = "",
          action: str = "", page: int = 1, per_page: int = 50) -> AuditPage:
    """Entries newest first, limited to ``visible`` session ids (None: all), filtered by session,
    exact actor and action (``round`` matches ``round.open``, ``round.close`` …), paginated."""
    stmt = select(AuditEntry)
    if visible is not None:
        stmt = stmt.where(AuditEntry.session_id.in_(visible))
    if session_id is not None:
        stmt = stmt.where(AuditEntry.session_id == session_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".")))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = db.session.execute(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).scalars().all()
    return AuditPage(list(entries), page, pages, total)


def actions(visible: list[int] | None) -> list[str]:
    """The distinct actions recorded among ``visible`` sessions (None: all), for a filter list."""
    stmt = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if visible is not None:
        stmt = stmt.where(AuditEntry.session_id.in_(visible))
    return list(db.session.execute(stmt).scalars())
