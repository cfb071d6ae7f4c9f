"""Times as the hall reads them: stored in UTC, shown in the congress's time zone
(``BALLOT_TIMEZONE``, default Asia/Shanghai) on cards, lists and documents."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    """The configured time zone (the default outside an app)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def local(moment: datetime | None) -> datetime | None:
    """``moment`` (UTC) in the local zone; None stays None."""
    return None if moment is None else moment.astimezone(zone())


def date_text(moment: datetime | None) -> str:
    """YYYY-MM-DD in the local zone, or "—"."""
    return "—" if moment is None else local(moment).strftime("%Y-%m-%d")


def time_text(moment: datetime | None, seconds: bool = False) -> str:
    """HH:MM (or HH:MM:SS) in the local zone, or ""."""
    return "" if moment is None else local(moment).strftime("%H:%M:%S" if seconds else "%H:%M")
