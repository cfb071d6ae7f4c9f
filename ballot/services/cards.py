"""Printable delegate cards (代表证): an A4 PDF of 8 cards a page with cut lines, or one card as PNG.

A card's secret exists only when it is issued, so producing cards issues fresh credentials:
printing the whole set again replaces every earlier card (the CLI and the admin page say so).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from ballot.domain.errors import N_, InvalidInput
from ballot.models import Delegate, VoteSession
from ballot.services import credentials, roster

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "WQYMicroHei"
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS


@dataclass(frozen=True)
class Card:
    """What is printed on one card."""

    title: str
    name: str
    delegation: str
    seat: str
    qr_text: str


def _card(session: VoteSession, delegate: Delegate, text: str) -> Card:
    return Card(session.display_title, delegate.name, delegate.delegation, delegate.seat, text)


def issue_all(session: VoteSession, actor: str) -> list[Card]:
    """Issue fresh cards to every delegate on the roster (old cards stop working), in roster order."""
    delegates = roster.list_delegates(session)
    if not delegates:
        raise InvalidInput(N_("名册为空，没有可打印的代表证。"))
    texts = credentials.issue_cards(session, delegates, actor)
    return [_card(session, d, t) for d, t in zip(delegates, texts, strict=True)]


def reissue_one(session: VoteSession, delegate: Delegate, actor: str) -> Card:
    """Issue one delegate a replacement card; their previous card stops working at once."""
    return _card(session, delegate, credentials.issue_card(delegate, actor))


def _qr_image(text: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


@lru_cache(maxsize=1)
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


def _fit(canvas, text: str, font: str, size: float, width: float, min_size: float = 6) -> float:
    """The largest font size <= ``size`` at which ``text`` fits in ``width``."""
    while size > min_size and canvas.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _wrap(canvas, text: str, font: str, size: float, width: float, lines: int) -> list[str]:
    """Break ``text`` (Chinese has no spaces) into at most ``lines`` lines of ``width``."""
    out, current = [], ""
    for ch in text:
        if canvas.stringWidth(current + ch, font, size) > width:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return out


def render_pdf(cards: list[Card]) -> bytes:
    """An A4 PDF, 8 cards a page (2 × 4, 105 × 74 mm) with dashed cut lines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas as pdf_canvas

    font = _register_font()
    page_w, page_h = A4
    card_w, card_h = page_w / COLUMNS, page_h / ROWS
    buffer = io.BytesIO()
    c = pdf_canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle("代表证")
    pad = 6 * mm
    qr_size = 44 * mm
    for start in range(0, len(cards), CARDS_PER_PAGE):
        c.setDash(3, 3)
        c.setStrokeGray(0.6)
        c.setLineWidth(0.5)
        for col in range(1, COLUMNS):
            c.line(col * card_w, 0, col * card_w, page_h)
        for row in range(1, ROWS):
            c.line(0, row * card_h, page_w, row * card_h)
        c.setDash()
        for index, card in enumerate(cards[start:start + CARDS_PER_PAGE]):
            col, row = index % COLUMNS, index // COLUMNS
            x0, y0 = col * card_w, page_h - (row + 1) * card_h
            text_w = card_w - qr_size - 3 * pad
            c.setFillColorRGB(0.62, 0.11, 0.11)
            c.rect(x0 + pad, y0 + card_h - pad - 1.2 * mm, card_w - 2 * pad, 1.2 * mm, stroke=0, fill=1)
            c.setFillGray(0)
            title_y = y0 + card_h - pad - 6 * mm
            for line in _wrap(c, card.title, font, 8.5, card_w - 2 * pad, 2):
                c.setFont(font, 8.5)
                c.drawString(x0 + pad, title_y, line)
                title_y -= 4 * mm
            c.setFont(font, 9)
            c.drawString(x0 + pad, title_y - 1 * mm, "代表证")
            name_size = _fit(c, card.name, font, 22, text_w)
            c.setFont(font, name_size)
            c.drawString(x0 + pad, y0 + 30 * mm, card.name)
            c.setFont(font, _fit(c, card.delegation, font, 10, text_w))
            c.drawString(x0 + pad, y0 + 21 * mm, card.delegation)
            seat = f"座位号 {card.seat}"
            c.setFont(font, _fit(c, seat, font, 13, text_w))
            c.drawString(x0 + pad, y0 + 12 * mm, seat)
            c.drawImage(ImageReader(_qr_image(card.qr_text)), x0 + card_w - pad - qr_size,
                        y0 + pad, qr_size, qr_size)
        c.showPage()
    c.save()
    return buffer.getvalue()


def render_png(card: Card, dpi: int = 300) -> bytes:
    """One card (105 × 74 mm) as a PNG for reprinting a single replacement."""
    scale = dpi / 25.4
    width, height = int(105 * scale), int(74 * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def font(size_mm: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(FONT_PATH), int(size_mm * scale), index=0)

    pad = int(6 * scale)
    qr_px = int(44 * scale)
    draw.rectangle([pad, pad, width - pad, pad + int(1.2 * scale)], fill=(158, 28, 28))
    draw.text((pad, pad + int(3 * scale)), card.title, font=font(3.2), fill="black")
    draw.text((pad, pad + int(8 * scale)), "代表证", font=font(3.2), fill="black")
    text_w = width - qr_px - 3 * pad
    name_size = 8.0
    while name_size > 3 and draw.textlength(card.name, font=font(name_size)) > text_w:
        name_size -= 0.5
    draw.text((pad, height - int(40 * scale)), card.name, font=font(name_size), fill="black")
    draw.text((pad, height - int(26 * scale)), card.delegation, font=font(3.6), fill="black")
    draw.text((pad, height - int(16 * scale)), f"座位号 {card.seat}", font=font(4.6), fill="black")
    qr = _qr_image(card.qr_text).resize((qr_px, qr_px), Image.NEAREST)
    image.paste(qr, (width - pad - qr_px, height - pad - qr_px))
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
