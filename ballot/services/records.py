"""The result record to file (票决结果记录, PDF): the vote's times, the announcement, the count of
every round, scrutiny, the key fingerprint, and a signature page with a seal area.

Chinese only: it is the congress's paper record. Pages are numbered "第 x 页 共 y 页".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ballot.domain import rating
from ballot.domain.rules import STATE_LABELS
from ballot.extensions import db
from ballot.models import AuditEntry, VoteSession
from ballot.services import keys, localtime, pdf, results, sessions


@dataclass(frozen=True)
class RoundTimes:
    """When a round was opened and closed (from the audit log, which records both)."""

    number: int
    opened_at: datetime | None
    closed_at: datetime | None

    def text(self) -> str:
        """"第 1 轮：2027-01-15 09:30 开始，10:05 结束" in the hall's time zone."""
        start = (f"{localtime.date_text(self.opened_at)} {localtime.time_text(self.opened_at)}"
                 if self.opened_at else "—")
        if self.closed_at is None:
            end = "尚未结束"
        elif localtime.date_text(self.closed_at) == localtime.date_text(self.opened_at):
            end = f"{localtime.time_text(self.closed_at)} 结束"
        else:
            end = f"{localtime.date_text(self.closed_at)} {localtime.time_text(self.closed_at)} 结束"
        return f"第 {self.number} 轮：{start} 开始，{end}"


def round_times(session: VoteSession) -> list[RoundTimes]:
    """Open and close times of every round, in order (the audit log is append-only)."""
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.at, AuditEntry.detail)
        .where(AuditEntry.session_id == session.id,
               AuditEntry.action.in_(("round.open", "round.close")))
        .order_by(AuditEntry.id)).all()
    opened: dict[int, datetime] = {}
    closed: dict[int, datetime] = {}
    for action, at, detail in rows:
        number = (detail or {}).get("number")
        if isinstance(number, int):
            (opened if action == "round.open" else closed)[number] = at
    return [RoundTimes(n, opened.get(n), closed.get(n)) for n in sorted(opened)]


def signatories(session: VoteSession) -> list[tuple[str, str]]:
    """(role, name) of everyone who signs the record: the chair, the chief scrutineer, every
    scrutineer (监票人) and every counter (计票人); a blank name leaves a line to write on."""
    names = results.scrutineer_header(session)
    rows = [("主持人", ""), ("总监票人", names["chief"] or "")]
    rows += [("监票人", name) for name in names["scrutineers"]] or [("监票人", "")]
    rows += [("计票人", name) for name in names["counters"]] or [("计票人", "")]
    return rows


def _escape(text: str) -> str:
    # Paragraph text is a small markup language: names with & or < must not break it.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_pdf(session: VoteSession) -> bytes:
    """The printable record (see the module docstring)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from ballot.services.result_rows import ballots_text, is_rating, project_rows, round_rows
    from ballot.services.result_rows import counted as _counted

    found = _counted(session)
    rated = is_rating(session)
    font = pdf.font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=1,
                           spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=12.5, leading=18, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, spaceBefore=2)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=12)

    counts = sessions.counts(session)
    published = session.result_document is not None
    times = round_times(session)
    story = [
        Paragraph("民生实事项目满意度测评结果记录" if rated else "民生实事项目人大代表票决结果记录",
                  title),
        Paragraph(_escape(session.display_title), ParagraphStyle("sub", parent=body, alignment=1)),
        Spacer(1, 4 * mm),
        Paragraph(
            f"会议日期：{session.date.isoformat()}　　级别：{_escape(session.level)}　　"
            f"状态：{STATE_LABELS[session.state]}"
            + ("" if published else "（结果尚未公布，本记录为计票草稿）"), body),
        Paragraph("投票时间：" + ("；".join(t.text() for t in times) or "—") + "。", body),
        Paragraph(
            f"应到代表 {counts.expected} 名，实到 {counts.present} 名，"
            f"请假 {counts.leave} 名；" + (
                f"测评项目 {len(project_rows(session, found))} 个，每个项目评为满意、基本满意"
                f"或不满意，以{rating.BASIS_LABELS[session.rating_basis]}为过半数的基数。"
                if rated else f"应选项目 {session.quota} 个，"
                f"{'差额' if session.contested else '等额'}票决。"), body),
    ]
    if session.is_drill:
        story.append(Paragraph("本场为演练，结果不作数。", heading))
    if found.ready:
        document = (results.published_document(session) if published
                    else results.result_document(session, found))
        # A 测评's announcement comes in lines (by grade, then the counts): a paragraph each.
        story += [Paragraph("结果公告", heading),
                  *(Paragraph(_escape(line), body)
                    for line in results.announcement(session, document).split("\n"))]
    rows = project_rows(session, found)
    for rnd in round_rows(session, found):
        story.append(Paragraph("测评计票" if rated else f"第 {rnd['轮次']} 轮计票", heading))
        ballots = ballots_text(rnd["figures"], rating_ballot=rated)
        if rated:
            line = (f"{ballots}；以{rnd['过半数的基数']}（{rnd['基数人数']}）为基数，满意票过半数为"
                    f"满意，满意与基本满意票合计过半数为基本满意，其余为不满意。")
        else:
            line = f"应选名额 {rnd['应选名额']}，{ballots}；通过须获赞成票 {rnd['通过所需赞成票']} 票。"
        if rnd["收回不超过发出"] != "是":
            line += rnd["收回不超过发出"] + "。"
        story.append(Paragraph(_escape(line), body))
        in_round = [r for r in rows if r["轮次"] == rnd["轮次"]]
        if rated:
            headers = ("票序", "项目名称", "满意", "基本满意", "不满意", "满意率（%）", "测评结果")
            data = [[Paragraph(h, cell) for h in headers]]
            data += [[row["票序"], Paragraph(_escape(row["项目名称"]), cell), row["满意"],
                      row["基本满意"], row["不满意"], str(row["满意率（%）"]), row["测评结果"]]
                     for row in in_round]
            widths = [12 * mm, 70 * mm, 14 * mm, 18 * mm, 16 * mm, 20 * mm, 28 * mm]
        else:
            headers = ("票序", "项目名称", "赞成", "反对", "弃权", "通过", "排名", "本轮结果")
            data = [[Paragraph(h, cell) for h in headers]]
            data += [[row["票序"], Paragraph(_escape(row["项目名称"]), cell), row["赞成"],
                      row["反对"], row["弃权"], row["是否通过"], row["排名"],
                      Paragraph(row["本轮结果"], cell)] for row in in_round]
            widths = [12 * mm, 62 * mm, 14 * mm, 14 * mm, 14 * mm, 12 * mm, 12 * mm, 30 * mm]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), font, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("ALIGN", (2, 1), (5 if rated else 6, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story += [Spacer(1, 2 * mm), table,
                  Paragraph(f"本轮 Merkle 根：{rnd['Merkle 根']}", small)]
    story += [
        Paragraph("监票与计票", heading),
        Paragraph(f"总监票人：{_escape(session.chief_scrutineer or '（未登记）')}；"
                  f"监票人：{_escape(session.scrutineers or '（未登记）')}；"
                  f"计票人：{_escape(session.counters or '（未登记）')}。", body),
        Paragraph(f"总监票人确认：{_escape(session.scrutineer_confirmed_by or '尚未确认')}；"
                  f"主持人确认：{_escape(session.chair_confirmed_by or '尚未确认')}。", body),
        Paragraph("会议密钥指纹（与会场宣读的一致）", heading),
        Paragraph(keys.spoken_fingerprint(session) or "—",
                  ParagraphStyle("fp", parent=body, fontSize=13, leading=18)),
        Paragraph(f"完整指纹：{session.key_fingerprint or '—'}", small),
    ]
    story += [CondPageBreak(90 * mm),
              KeepTogether(_signature_block(session, font, body, heading, cell))]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=16 * mm, bottomMargin=20 * mm,
                            title=f"{session.display_title} {'测评结果' if rated else '票决结果'}",
                            author="票决")
    doc.build(story, canvasmaker=_numbered_canvas(font, session.display_title))
    return buffer.getvalue()


def _signature_block(session: VoteSession, font: str, body, heading, cell) -> list:
    """The signature table (role, name, signature, date) beside a 40 × 40 mm seal area."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    rows = [[Paragraph(h, cell) for h in ("职务", "姓名", "签字", "日期")]]
    rows += [[role, Paragraph(_escape(name), cell), "", ""] for role, name in signatories(session)]
    signatures = Table(rows, colWidths=[22 * mm, 32 * mm, 42 * mm, 26 * mm],
                       rowHeights=[8 * mm] + [12 * mm] * (len(rows) - 1))
    signatures.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    seal = Table([["盖章处"], [""], [f"{session.congress}"], ["年　　月　　日"]],
                 colWidths=[46 * mm], rowHeights=[8 * mm, 30 * mm, 8 * mm, 8 * mm])
    seal.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 10),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#a31515")),
        ("TEXTCOLOR", (0, 0), (0, 0), colors.HexColor("#a31515")),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    layout = Table([[signatures, seal]], colWidths=[126 * mm, 52 * mm])
    layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Paragraph("签字与盖章", heading),
            Paragraph("以上计票结果经核对无误。", body), Spacer(1, 3 * mm), layout]


def _numbered_canvas(font: str, footer_title: str):
    """A canvas class that writes "第 x 页 共 y 页" and the session title in every page's footer
    (the total is known only once every page is laid out, so pages are drawn at the end)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width = self._pagesize[0]
                self.setFont(font, 8.5)
                self.setFillGray(0.35)
                self.drawString(16 * mm, 10 * mm, footer_title[:60])
                self.drawRightString(width - 16 * mm, 10 * mm,
                                     f"第 {self._pageNumber} 页 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas
