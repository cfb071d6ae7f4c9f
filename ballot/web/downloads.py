"""File downloads with a ``Content-Disposition`` every server and browser accepts (RFC 6266).

A header value may carry only visible ASCII (gunicorn refuses anything else with a 500 after the
view has run), so a file name such as ``card-demo-6排05座.png`` is sent twice: an ASCII fallback
in ``filename`` and the real name UTF-8 percent-encoded in ``filename*`` (RFC 5987/8187), which
every current browser prefers.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

# RFC 5987 attr-char: what ``filename*`` may hold unescaped.
_ATTR_CHARS = "!#$&+-.^_`|~"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str) -> str:
    """``attachment; filename="…"`` in visible ASCII, with ``filename*`` when the name is not."""
    fallback = _UNSAFE_ASCII.sub("_", filename).strip("._") or "download"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return (f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}")


def attachment(data: bytes, mimetype: str, filename: str) -> Response:
    """A response that downloads ``data`` as ``filename``."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
