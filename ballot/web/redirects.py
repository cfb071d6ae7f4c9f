"""Where a page may send a browser back to: paths of this site only, parsed strictly."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_TARGET = 2000  # longer than any URL of this app: a longer one is not ours


def same_origin_path(target: object) -> str | None:
    """``target`` when it is a path on this site (``/admin/…``), else None.

    Browsers drop tabs and newlines anywhere in a URL and read a backslash as a slash, so
    ``/\\t/evil.example`` and ``/\\\\evil.example`` both lead to another site: a target holding
    any control, space or separator character or a backslash is refused outright rather than
    cleaned up, as is anything with a scheme or host or a path starting with ``//``.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") \
            or len(target) > MAX_TARGET:
        return None
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return target
