"""The scrutineers' key cards (监票人密钥卡): one A4 page per scrutineer, made in memory only.

A key card carries a share of the ballot box's secret (DESIGN §3). The PDF is built in memory,
sent once in the response that sealed the box, and never written to a file, a log or the
database: whoever prints it hands each page to its scrutineer in a sealed envelope.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ballot.services import pdf
from ballot.services.pdf import fit, qr_image, wrap


@dataclass(frozen=True)
class KeyCard:
    """What is printed on one scrutineer's key card."""

    session_title: str
    session_slug: str
    holder: str
    role: str  # 总监票人 / 监票人
    index: int
    threshold: int
    shares: int
    box_fingerprint: str  # the spoken form, groups of four
    share_text: str
    drill: bool = False


def _groups(text: str, size: int = 4) -> list[str]:
    """The share text for typing it in by hand: its dash-separated parts, long ones in groups
    of four, six groups a line (the parser ignores spaces and line breaks)."""
    groups: list[str] = []
    parts = text.split("-")
    for n, part in enumerate(parts):
        chunks = [part[i:i + size] for i in range(0, len(part), size)] or [""]
        if n < len(parts) - 1:
            chunks[-1] += "-"
        groups += chunks
    return [" ".join(groups[i:i + 6]) for i in range(0, len(groups), 6)]


def render_pdf(cards: list[KeyCard]) -> bytes:
    """An A4 PDF, one key card a page (with the QR of the share and its typed form)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader

    font = pdf.font()
    page_w, page_h = A4
    buffer = io.BytesIO()
    c = pdf.canvas(buffer, "投票箱密钥卡")
    left = 20 * mm
    width = page_w - 2 * left
    for card in cards:
        if card.drill:
            pdf.drill_mark(c, A4, alpha=0.18)
        c.setFillColorRGB(0.62, 0.11, 0.11)
        c.rect(left, page_h - 22 * mm, width, 2 * mm, stroke=0, fill=1)
        c.setFillGray(0)
        y = page_h - 32 * mm
        for line in wrap(c, card.session_title, font, 13, width, 2):
            c.setFont(font, 13)
            c.drawString(left, y, line)
            y -= 6 * mm
        heading = "投票箱密钥卡（演练）" if card.drill else "投票箱密钥卡"
        c.setFont(font, 24)
        c.drawString(left, y - 6 * mm, heading)
        y -= 22 * mm
        name = f"{card.role}  {card.holder}"
        c.setFont(font, fit(c, name, font, 20, width))
        c.drawString(left, y, name)
        y -= 10 * mm
        c.setFont(font, 13)
        c.drawString(left, y, f"第 {card.index} 份，共 {card.shares} 份；开箱须 {card.threshold} 位监票人出示密钥卡")
        y -= 8 * mm
        c.drawString(left, y, f"会议简称 {card.session_slug}")
        y -= 8 * mm
        c.drawString(left, y, f"投票箱指纹 {card.box_fingerprint}")
        qr_size = 80 * mm
        y -= qr_size + 6 * mm
        c.drawImage(ImageReader(qr_image(card.share_text)), left, y, qr_size, qr_size)
        y -= 8 * mm
        c.setFont(font, 10)
        c.drawString(left, y, "扫码失败时可手工输入（含校验位，大小写不限）：")
        y -= 6 * mm
        for line in _groups(card.share_text):
            c.setFont("Courier", 11)
            c.drawString(left, y, line)
            y -= 5.5 * mm
        y -= 4 * mm
        notes = [
            "本卡是开启投票箱的钥匙之一：不得复印、拍照或交给他人保管。",
            "计票时在监票屏出示本卡（扫码或输入），少于规定人数无法开箱，单张卡不能看到任何一张选票。",
            "遗失或损坏请立即告知大会秘书处：投票开始前可重新封箱，旧卡全部作废。",
        ]
        for note in notes:
            for line in wrap(c, note, font, 10, width, 2):
                c.setFont(font, 10)
                c.drawString(left, y, line)
                y -= 5 * mm
        c.showPage()
    c.save()
    return buffer.getvalue()
