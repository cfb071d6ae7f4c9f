"""What every printed PDF shares: the CJK font it is set in, a canvas writing into memory, the
演练 mark of a drill, and fitting Chinese text (which has no spaces to break at) into a width.

The delegate cards, key cards and ballot paper draw on a canvas; the result record and the
attendance sheet lay out with platypus and take only the font from here.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"


@lru_cache(maxsize=1)
def font() -> str:
    """The CJK font registered with reportlab (once), by name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # A TrueType collection: subfont 0 is Micro Hei; reportlab embeds the glyphs used.
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


def canvas(buffer: io.BytesIO, title: str, pagesize: tuple[float, float] | None = None,
           invariant: bool = False):
    """A compressed PDF canvas (A4 unless ``pagesize``) titled ``title``, writing into ``buffer``.

    ``invariant``: no creation time or random id in the file, so every rendering of the same
    content is byte-for-byte the same document."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(buffer, pagesize=pagesize or A4, pageCompression=1,
               invariant=1 if invariant else None)
    c.setTitle(title)
    return c


def drill_mark(c, pagesize: tuple[float, float], alpha: float) -> None:
    """The large slanted 演练 across the middle of a drill's page, at opacity ``alpha``."""
    page_w, page_h = pagesize
    c.saveState()
    c.setFillColorRGB(0.85, 0.2, 0.2, alpha=alpha)
    c.setFont(font(), 120)
    c.translate(page_w / 2, page_h / 2)
    c.rotate(35)
    c.drawCentredString(0, 0, "演练")
    c.restoreState()


def fit(c, text: str, font_name: str, size: float, width: float, min_size: float = 6) -> float:
    """The largest font size <= ``size`` at which ``text`` fits in ``width``."""
    while size > min_size and c.stringWidth(text, font_name, size) > width:
        size -= 0.5
    return size


def wrap(c, text: str, font_name: str, size: float, width: float, lines: int) -> list[str]:
    """Break ``text`` into at most ``lines`` lines of ``width`` (the last cut short with …)."""
    out, current = [], ""
    for ch in text:
        if c.stringWidth(current + ch, font_name, size) > width:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return out


def qr_image(text: str) -> Image.Image:
    """``text`` as a QR code image (error correction M, a two-module border), for printing."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
