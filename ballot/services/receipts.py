"""What the voting kiosk's receipt offers the delegate: the public address of the bulletin board
(from BALLOT_PUBLIC_URL) as text and as a QR code a phone can scan."""

from __future__ import annotations

import base64
import functools
import io
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def board_address(public_url: str | None, slug: str) -> str | None:
    """The board's public address, or None when no usable public address is configured (never
    a guess: a loopback or kiosk-only address on a receipt sends phones nowhere)."""
    base = (public_url or "").strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{base}/s/{slug}/board/"


@functools.lru_cache(maxsize=64)
def qr_data_uri(text: str) -> str:
    """A PNG QR code of ``text`` as a data: URI (the pages' CSP allows data: images); kept, as
    the kiosk page that shows it is loaded again after every ballot."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=8)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
