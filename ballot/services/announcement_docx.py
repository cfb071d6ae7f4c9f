"""The 表决结果公告 as a Word document (.docx) for the office to edit, print and seal.

Built with python-docx in the usual layout of a congress notice: a red-free black title in a
heading face, the announcement, the chosen projects (with votes), the full count, and the
issuer's name and date above a seal area at the bottom right. Fonts are named for Chinese
Word (宋体 body, 黑体 headings), which every office machine has.
"""

from __future__ import annotations

import io
from decimal import Decimal

from ballot.domain import rating
from ballot.domain.errors import ResultNotFinal
from ballot.models import VoteSession
from ballot.services import results

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    """Set a run's font for both Latin and East Asian text (Word keeps them apart)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, size: float = 14, *, font: str = BODY_FONT,
               bold: bool = False, align=None, indent: bool = False, space_after: float = 6):
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.line_spacing = 1.5
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _table(document, headers: list[str], rows: list[list[str]], widths_cm: list[float]):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(header), HEADING_FONT, 10.5)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(value)), BODY_FONT, 10.5)
    # Word reads the cell widths, LibreOffice the grid: set both, and keep Word from autofitting.
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    document.add_paragraph()
    return table


def _budget(value: Decimal | None) -> str:
    return "" if value is None else results.decimal_text(value)


def to_docx(session: VoteSession) -> bytes:
    """The announcement of the final result as .docx (published, or a marked draft)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    from ballot.services.result_rows import counted as _counted
    from ballot.services.result_rows import is_rating, project_rows

    found = _counted(session)
    if not found.ready or found.final.pending_tie is not None:
        raise ResultNotFinal()
    published = session.result_document is not None
    result = (results.published_document(session) if published
              else results.result_document(session, found))
    by_code = {c.code: c for c in session.candidates if c.code}

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    rated = is_rating(session)
    kind = "满意度测评" if rated else "票决"
    document.core_properties.title = f"{session.display_title}民生实事项目{kind}结果公告"
    document.core_properties.author = session.congress

    if session.is_drill:
        _paragraph(document, "【演练】本公告为演练生成，不作数", 12, font=HEADING_FONT,
                   align=WD_ALIGN_PARAGRAPH.CENTER)
    if not published:
        _paragraph(document, "（草稿：结果尚未公布）", 12, font=HEADING_FONT,
                   align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, session.title, 20, font=HEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER,
               space_after=0)
    _paragraph(document, f"{session.year}年度民生实事项目{kind}结果公告", 20, font=HEADING_FONT,
               align=WD_ALIGN_PARAGRAPH.CENTER, space_after=18)
    when = f"{session.date.year}年{session.date.month}月{session.date.day}日"
    if rated:
        _paragraph(document, f"{session.title}于{when}以无记名投票方式对{len(by_code)}个"
                   f"{session.year}年度民生实事项目的实施情况进行了满意度测评。"
                   f"现将测评结果公告如下：", indent=True)
    else:
        _paragraph(document, f"{session.title}于{when}以无记名投票方式对{len(by_code)}个"
                   f"{session.year}年度民生实事候选项目进行了票决。现将票决结果公告如下：",
                   indent=True)
    for line in results.announcement(session, result).split("\n"):  # a 测评's comes in lines
        _paragraph(document, line, indent=True)

    if rated:
        rows = project_rows(session, found)
        _paragraph(document, "各项目测评结果", 14, font=HEADING_FONT)
        _table(document, ["票序", "项目名称", "承办单位", "满意", "基本满意", "不满意",
                          "满意率（%）", "测评结果"],
               [[r["票序"], r["项目名称"], r["承办单位"], str(r["满意"]), str(r["基本满意"]),
                 str(r["不满意"]), str(r["满意率（%）"]), r["测评结果"]] for r in rows],
               [1.2, 3.6, 2.0, 1.3, 1.9, 1.6, 2.0, 2.0])
        dissatisfied = [r["项目名称"] for r in rows if r["grade"] == rating.DISSATISFIED]
        if dissatisfied:
            _paragraph(document, f"测评结果为不满意的项目（{'、'.join(dissatisfied)}）由承办单位"
                       f"整改，整改情况在项目实施跟踪中公开，并在下一次满意度测评中再次测评。",
                       indent=True)
    else:
        _vote_tables(document, session, found, result, by_code)
    names = [f"总监票人：{session.chief_scrutineer or '＿＿＿＿'}",
             f"监票人：{session.scrutineers or '＿＿＿＿'}",
             f"计票人：{session.counters or '＿＿＿＿'}"]
    _paragraph(document, "　".join(names), 12, space_after=24)
    _paragraph(document, "特此公告。", indent=True, space_after=36)
    _paragraph(document, f"{session.congress}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT,
               space_after=0)
    _paragraph(document, f"{session.date.year}年{session.date.month}月{session.date.day}日",
               align=WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _vote_tables(document, session: VoteSession, found, result: dict, by_code: dict) -> None:
    """A 票决's tables: the chosen projects with their votes, then every candidate's count."""
    from ballot.services.result_rows import project_rows

    chosen = list(result["chosen"])
    final_counts = _final_counts(project_rows(session, found))
    if chosen:
        _paragraph(document, "一、票决确定的民生实事项目", 14, font=HEADING_FONT)
        _table(document, ["序号", "项目名称", "承办单位", "预算（万元）", "赞成票"],
               [[str(i), by_code[code].title, by_code[code].department,
                 _budget(by_code[code].budget), str(final_counts.get(code, ""))]
                for i, code in enumerate(chosen, 1)], [1.2, 7.0, 3.4, 2.2, 1.8])
    _paragraph(document, "二、各候选项目得票情况" if chosen else "各候选项目得票情况", 14,
               font=HEADING_FONT)
    rows = project_rows(session, found)
    _table(document, ["轮次", "票序", "项目名称", "赞成", "反对", "弃权", "结果"],
           [[str(r["轮次"]), r["票序"], r["项目名称"], str(r["赞成"]), str(r["反对"]),
             str(r["弃权"]), r["本轮结果"]] for r in rows], [1.4, 1.4, 6.0, 1.3, 1.3, 1.3, 3.0])


def _final_counts(rows: list[dict]) -> dict[str, int]:
    """Each project's 赞成 in the last round it stood in (a tie-break decides the tied ones)."""
    counts: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["轮次"]):
        counts[row["票序"]] = row["赞成"]
    return counts
