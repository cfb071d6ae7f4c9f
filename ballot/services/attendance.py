"""Attendance lists to file and print: the 签到表 (every delegate: status, time, late, reason)
and the 未到名单 (leave and absent), as CSV (Excel-ready), XLSX and PDF."""

from __future__ import annotations

import csv
import io

from ballot.domain.errors import N_, InvalidInput
from ballot.models import VoteSession
from ballot.services import desk, pdf, spreadsheets

KINDS = {"signin": "签到表", "absent": "未到名单"}
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}


def _title_lines(session: VoteSession, kind: str, rows: list[desk.AttendanceRow]) -> list[str]:
    counts = desk.group_counts(rows)
    summary = "，".join(f"{status} {counts[status]} 人" for status in ("已到", "请假", "缺席", "未到")
                       if counts.get(status))
    late = f"（其中迟到 {counts['迟到']} 人）" if counts.get("迟到") else ""
    return [f"{session.display_title} · {KINDS[kind]}",
            f"{session.congress}　会议日期 {session.date.isoformat()}　应到 {len(desk.attendance_rows(session))} 人",
            f"共 {len(rows)} 人：{summary or '—'}{late}"]


def export(session: VoteSession, kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, file name) of the ``kind`` list (signin, absent) in ``fmt``."""
    if kind not in KINDS or fmt not in FORMATS:
        raise InvalidInput(N_("名单只能是签到表或未到名单，格式只能是 CSV、XLSX 或 PDF。"))
    rows = desk.attendance_rows(session, only_missing=kind == "absent")
    headers = desk.SIGNIN_HEADERS if kind == "signin" else desk.ABSENT_HEADERS
    lines = _title_lines(session, kind, rows)
    data = [r.as_dict() for r in rows]
    if fmt == "csv":
        content = _csv(lines, headers, data)
    elif fmt == "xlsx":
        content = spreadsheets.workbook_bytes(lambda workbook: spreadsheets.add_sheet(
            workbook, KINDS[kind], headers, data, lines))
    else:
        content = _pdf(session, lines, headers, data)
    name = "signin-sheet" if kind == "signin" else "absent-list"
    return content, FORMATS[fmt], f"{session.slug}-{name}.{fmt}"


def _csv(lines: list[str], headers, data: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in lines:
        writer.writerow([spreadsheets.neutralise(line)])
    writer.writerow(headers)
    for row in data:
        writer.writerow([spreadsheets.neutralise(row[h]) for h in headers])
    return buffer.getvalue().encode("utf-8-sig")  # with a BOM: Excel in China reads UTF-8


def _pdf(session: VoteSession, lines: list[str], headers, data: list[dict]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ballot.services.records import _escape, _numbered_canvas

    font = pdf.font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=22, alignment=1)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11)
    widths = {"序号": 11, "座位号": 18, "姓名": 24, "代表团/选区": 36, "状态": 13, "签到时间": 32,
              "迟到": 10, "说明": 34}
    scale = 178 / sum(widths[h] for h in headers)
    table = Table([[Paragraph(h, cell) for h in headers]]
                  + [[Paragraph(_escape(row[h]), cell) for h in headers] for row in data],
                  colWidths=[widths[h] * scale * mm for h in headers], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story = [Paragraph(_escape(lines[0]), title), Spacer(1, 2 * mm),
             *(Paragraph(_escape(line), body) for line in lines[1:]), Spacer(1, 3 * mm), table,
             Spacer(1, 10 * mm),
             Paragraph("制表人：＿＿＿＿＿＿　　审核人：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日", body)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                      topMargin=14 * mm, bottomMargin=20 * mm, title=lines[0], author="票决") \
        .build(story, canvasmaker=_numbered_canvas(font, session.display_title))
    return buffer.getvalue()
