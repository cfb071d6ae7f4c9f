"""The ballot paper (纸质选票) of a round: a printable A4 PDF, the same for every delegate.

Issue 22: a hall that cannot use its kiosks, or a delegate who asks for paper, votes on this
sheet. It shows the session, the round, every project of the round in ballot order with a
赞成/反对/弃权 box each, the quota ("每张选票赞成不超过 N 个") and how to mark; nothing on it
identifies its holder: no serial number, no seat, no name, no code of any kind. Every copy of a
round's paper is byte-for-byte the same document, so printing more copies tells nobody anything.
The number a counting team later writes on a sheet is assigned when the box is unpacked, after
the papers are mixed.
"""

from __future__ import annotations

import io

from ballot.domain.errors import N_, InvalidInput
from ballot.domain.states import State
from ballot.models import Round, VoteSession
from ballot.services import pdf, rounds, voting
from ballot.services.pdf import fit, wrap

CHOICE_LABELS = ("赞成", "反对", "弃权")


def paper_round(session: VoteSession, number: int) -> Round:
    """Round ``number`` as its paper shows it. Round 1 can be printed before voting opens, from
    the locked candidate list (in ballot order) and the session's quota; a draft list is refused,
    since it may still change after the papers are printed."""
    round_ = rounds.get_round_or_none(session, number)
    if round_ is not None:
        return round_
    if number != 1:
        return rounds.get_round(session, number)  # NotFound, said plainly
    if session.state == State.DRAFT:
        raise InvalidInput(N_("候选项目名单尚未锁定，不能印制选票。请先锁定名单。"))
    codes = [c.code for c in sorted(session.candidates, key=lambda c: c.position)]
    return Round(session_id=session.id, number=1, quota=session.quota, candidates=codes)


def render_pdf(session: VoteSession, round_: Round) -> bytes:
    """The round's ballot paper as A4 PDF pages (the table continues on further pages when a
    round has more projects than fit on one)."""
    if round_.session_id != session.id:
        raise InvalidInput(N_("找不到这一轮投票。"))
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    view = voting.ballot_view(session, round_)
    font = pdf.font()
    page_w, page_h = A4
    buffer = io.BytesIO()
    # Invariant: every print of a round's paper is the same document, byte for byte.
    c = pdf.canvas(buffer, "纸质选票", invariant=True)
    left = 18 * mm
    width = page_w - 2 * left
    box_w = 18 * mm
    row_h = 13 * mm
    name_w = width - 3 * box_w - 12 * mm
    candidates = view["candidates"]
    quota = view["quota"]

    def header() -> float:
        if session.is_drill:
            pdf.drill_mark(c, A4, alpha=0.15)
        y = page_h - 20 * mm
        c.setFillGray(0)
        for line in wrap(c, session.display_title, font, 13, width, 2):
            c.setFont(font, 13)
            c.drawCentredString(page_w / 2, y, line)
            y -= 6 * mm
        title = "选　票" if round_.number == 1 else f"选　票（第 {round_.number} 轮 再次投票）"
        c.setFont(font, 26)
        c.drawCentredString(page_w / 2, y - 8 * mm, title)
        y -= 18 * mm
        c.setFont(font, 11)
        rule = f"本轮共 {len(candidates)} 个项目，每张选票赞成不超过 {quota} 个。"
        c.drawCentredString(page_w / 2, y, rule)
        return y - 8 * mm

    def table_head(y: float) -> float:
        c.setLineWidth(0.8)
        c.rect(left, y - row_h * 0.7, width, row_h * 0.7, stroke=1, fill=0)
        c.setFont(font, 11)
        c.drawCentredString(left + 6 * mm, y - row_h * 0.45, "序号")
        c.drawCentredString(left + 12 * mm + name_w / 2, y - row_h * 0.45, "项目名称")
        for i, label in enumerate(CHOICE_LABELS):
            x = left + 12 * mm + name_w + i * box_w
            c.drawCentredString(x + box_w / 2, y - row_h * 0.45, label)
        return y - row_h * 0.7

    def footer(page: int, pages: int) -> None:
        c.setFont(font, 10)
        notes = [
            "填写说明：",
            "1. 每个项目只能在“赞成”“反对”“弃权”中选一项，在对应方格内划“○”；"
            "不划的，按弃权计。",
            f"2. 赞成的项目不得超过 {quota} 个，超过的，本张选票无效。",
            "3. 请用黑色或蓝色笔填写，字迹须清楚；无法辨认的选票无效。",
            "4. 选票上不得写名字或做其他记号。填好后对折，投入票箱。",
        ]
        y = 52 * mm
        for note in notes:
            for line in wrap(c, note, font, 10, width, 2):
                c.drawString(left, y, line)
                y -= 5.5 * mm
        if pages > 1:
            c.setFont(font, 9)
            c.drawCentredString(page_w / 2, 12 * mm, f"第 {page} 页，共 {pages} 页")

    first_rows = int((page_h - 20 * mm - 36 * mm - 60 * mm - row_h) // row_h)
    per_page = max(first_rows, 1)
    pages = max(1, -(-len(candidates) // per_page))
    for page in range(pages):
        y = table_head(header())
        for n, cand in enumerate(candidates[page * per_page:(page + 1) * per_page],
                                 start=page * per_page + 1):
            c.rect(left, y - row_h, width, row_h, stroke=1, fill=0)
            c.setFont(font, 11)
            c.drawCentredString(left + 6 * mm, y - row_h / 2 - 1.5 * mm, str(n))
            title = f"{cand['code']}  {cand['title']}"
            lines = wrap(c, title, font, 11, name_w - 3 * mm, 2)
            size = 11 if len(lines) == 1 else fit(c, lines[0], font, 10, name_w - 3 * mm)
            c.setFont(font, size)
            top = y - row_h / 2 + (2.5 * mm if len(lines) > 1 else -1.5 * mm)
            for k, line in enumerate(lines):
                c.drawString(left + 13.5 * mm, top - k * 5 * mm, line)
            for i in range(3):
                x = left + 12 * mm + name_w + i * box_w
                c.line(x, y, x, y - row_h)
                side = 8 * mm
                c.rect(x + (box_w - side) / 2, y - row_h / 2 - side / 2, side, side, stroke=1,
                       fill=0)
            c.line(left + 12 * mm, y, left + 12 * mm, y - row_h)
            y -= row_h
        footer(page + 1, pages)
        c.showPage()
    c.save()
    return buffer.getvalue()


def file_name(session: VoteSession, round_: Round) -> str:
    """The download's file name."""
    return f"ballot-paper-{session.slug}-round{round_.number}.pdf"
