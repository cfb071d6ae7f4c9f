"""Printable delegate cards (代表证): an A4 PDF of 8 cards a page with cut lines, a badge PDF
(one 85 × 54 mm card a page, for card and badge printers), or one card as PNG.

A card's secret exists only when it is issued, so producing cards issues fresh credentials:
printing the whole set again replaces every earlier card, which is allowed only before check-in
opens; after that a lost or damaged card is replaced one delegate at a time, with a reason.
Each card shows its number (证号), version (第 n 版) and issue date, so the desk can tell an
old card from the current one at a glance.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from ballot.domain import rules
from ballot.domain.errors import N_, InvalidInput, ReprintAllClosed
from ballot.domain.states import State
from ballot.models import Delegate, VoteSession
from ballot.services import credentials, localtime, pdf, roster
from ballot.services.pdf import fit, qr_image, wrap

COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
LAYOUTS = ("a4", "badge")
BADGE_MM = (85.6, 54)  # ISO/IEC 7810 ID-1, the size of card and badge printers' blanks
# Printing every card again voids every card in delegates' hands: only before check-in opens.
REPRINT_ALL_STATES = (State.DRAFT, State.LOCKED)


@dataclass(frozen=True)
class Card:
    """What is printed on one card."""

    title: str
    name: str
    delegation: str
    seat: str
    qr_text: str
    number: str = ""
    version: int = 1
    issued: str = ""

    @property
    def serial_line(self) -> str:
        """证号 · 版本 · 发证日期, as printed under the seat."""
        return f"证号 {self.number}　第 {self.version} 版　{self.issued} 发"


def card_number(delegate: Delegate) -> str:
    """The card's number: the delegate's place on the roster, zero-padded (证号 007)."""
    return f"{delegate.roster_order:03d}"


def _card(session: VoteSession, delegate: Delegate, text: str) -> Card:
    return Card(session.display_title, delegate.name, delegate.delegation, delegate.seat, text,
                card_number(delegate), delegate.card_version,
                localtime.date_text(delegate.card_issued_at))


def reprint_all_allowed(session: VoteSession) -> bool:
    """True while every card may be printed anew (before check-in opens)."""
    return session.state in REPRINT_ALL_STATES


def issue_all(session: VoteSession, actor: str) -> list[Card]:
    """Issue fresh cards to every delegate on the roster (old cards stop working), in roster
    order; refused once check-in has opened (ReprintAllClosed)."""
    if not reprint_all_allowed(session):
        raise ReprintAllClosed(state=rules.STATE_LABELS[session.state])
    delegates = roster.list_delegates(session)
    if not delegates:
        raise InvalidInput(N_("名册为空，没有可打印的代表证。"))
    texts = credentials.issue_cards(session, delegates, actor)
    return [_card(session, d, t) for d, t in zip(delegates, texts, strict=True)]


def reissue_one(session: VoteSession, delegate: Delegate, actor: str, reason: str = "") -> Card:
    """Issue one delegate a replacement card; their previous card stops working at once.

    Replacing an existing card needs a reason (audited); a delegate's first card does not."""
    reason = (reason or "").strip()[:200]
    if delegate.card_version and not reason:
        raise InvalidInput(N_("补发代表证须填写原因（例如“代表证遗失”）。"))
    return _card(session, delegate, credentials.issue_card(delegate, actor, reason))


def render_pdf(cards: list[Card], layout: str = "a4") -> bytes:
    """A PDF of ``cards``: "a4" puts 8 a page (2 × 4, 105 × 74 mm) with dashed cut lines;
    "badge" one a page at 85.6 × 54 mm for card and badge printers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    if layout not in LAYOUTS:
        raise InvalidInput(N_("代表证版式只能是 A4（每页 8 张）或胸卡（85 × 54 毫米）。"))
    font = pdf.font()
    buffer = io.BytesIO()
    if layout == "badge":
        size = (BADGE_MM[0] * mm, BADGE_MM[1] * mm)
        c = pdf.canvas(buffer, "代表证（胸卡）", size)
        for card in cards:
            _draw_card(c, card, 0, 0, size[0], size[1], font)
            c.showPage()
        c.save()
        return buffer.getvalue()
    page_w, page_h = A4
    card_w, card_h = page_w / COLUMNS, page_h / ROWS
    c = pdf.canvas(buffer, "代表证")
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
            _draw_card(c, card, col * card_w, page_h - (row + 1) * card_h, card_w, card_h, font)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _draw_card(c, card: Card, x0: float, y0: float, card_w: float, card_h: float,
               font: str) -> None:
    """One card in the box (x0, y0, card_w, card_h); sizes follow the height (74 mm = 1)."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader

    k = card_h / (74 * mm)
    pad = 0.08 * card_h
    qr_size = min(0.6 * card_h, 0.42 * card_w)
    text_w = card_w - qr_size - 3 * pad
    c.setFillColorRGB(0.62, 0.11, 0.11)
    c.rect(x0 + pad, y0 + card_h - pad - 1.2 * mm * k, card_w - 2 * pad, 1.2 * mm * k,
           stroke=0, fill=1)
    c.setFillGray(0)
    title_y = y0 + card_h - pad - 6 * mm * k
    for line in wrap(c, card.title, font, 8.5 * k, card_w - 2 * pad, 2):
        c.setFont(font, 8.5 * k)
        c.drawString(x0 + pad, title_y, line)
        title_y -= 4 * mm * k
    c.setFont(font, 9 * k)
    c.drawString(x0 + pad, title_y - 1 * mm * k, "代表证")
    c.setFont(font, fit(c, card.name, font, 22 * k, text_w))
    c.drawString(x0 + pad, y0 + pad + 0.375 * card_h, card.name)
    c.setFont(font, fit(c, card.delegation, font, 10 * k, text_w))
    c.drawString(x0 + pad, y0 + pad + 0.27 * card_h, card.delegation)
    seat = f"座位号 {card.seat}"
    c.setFont(font, fit(c, seat, font, 13 * k, text_w))
    c.drawString(x0 + pad, y0 + pad + 0.175 * card_h, seat)
    # Number and version on one line, the issue date below: the desk compares them with the
    # delegate's current card on the check-in page.
    c.setFillGray(0.25)
    first = f"证号 {card.number}　第 {card.version} 版"
    c.setFont(font, fit(c, first, font, 7.5 * k, text_w, 4.5))
    c.drawString(x0 + pad, y0 + pad + 0.085 * card_h, first)
    second = f"{card.issued} 发证"
    c.setFont(font, fit(c, second, font, 7.5 * k, text_w, 4.5))
    c.drawString(x0 + pad, y0 + pad, second)
    c.setFillGray(0)
    c.drawImage(ImageReader(qr_image(card.qr_text)), x0 + card_w - pad - qr_size, y0 + pad,
                qr_size, qr_size)


def render_png(card: Card, dpi: int = 300) -> bytes:
    """One card (105 × 74 mm) as a PNG for reprinting a single replacement."""
    scale = dpi / 25.4
    width, height = int(105 * scale), int(74 * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def font(size_mm: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(pdf.FONT_PATH), int(size_mm * scale), index=0)

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
    draw.text((pad, height - int(9.5 * scale)),
              f"证号 {card.number}　第 {card.version} 版　{card.issued} 发证", font=font(2.6),
              fill=(64, 64, 64))
    qr = qr_image(card.qr_text).resize((qr_px, qr_px), Image.NEAREST)
    image.paste(qr, (width - pad - qr_px, height - pad - qr_px))
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
