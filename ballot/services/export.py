"""Exports of a session's result: CSV, XLSX, a PDF record, the signed JSON and the audit bundle.

CSV/XLSX/PDF work once a round has been counted (the PDF says when it is not yet published);
the signed JSON and the audit bundle exist only after publication, because they carry the
session key's signature.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC
from pathlib import Path

from sqlalchemy import func, select

from ballot import bundle
from ballot.domain.errors import ResultNotCounted, ResultNotPublished
from ballot.domain.rules import STATE_LABELS
from ballot.extensions import db
from ballot.models import AuditEntry, VoteSession
from ballot.services import keys, results, rounds, sessions
from ballot.services.bundle_cache import BundleCache

FORMATS = ("csv", "xlsx", "pdf", "json", "bundle")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
    "bundle": "application/zip",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf", "json": "json", "bundle": "zip"}

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"

PROJECT_HEADERS = ("轮次", "票序", "项目名称", "承办单位", "赞成", "反对", "弃权", "其中未表态",
                   "是否通过", "排名", "本轮结果", "最终入选")
ROUND_HEADERS = ("轮次", "应选名额", "应到", "实到", "发出选票", "收回选票", "有效票", "无效票",
                 "通过所需赞成票", "收回不超过发出", "Merkle 根")
CANDIDATE_HEADERS = ("票序", "项目名称", "类别", "承办单位", "预算（万元）", "征集渠道",
                     "最终入选", "最终排序")
# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Only staff actions on the session's setup, rounds and result go into the bundle: never
# anything about a delegate's ballot handling, which could hint at who voted when.
PUBLIC_AUDIT_PREFIXES = ("session.", "candidate.", "round.", "result.")
SECRET_DETAIL_WORDS = ("token", "ballot_id", "tracking", "choice", "delegate")


def filename(session: VoteSession, fmt: str) -> str:
    """The download name: <slug>-result.<ext> (the bundle: <slug>-audit-bundle.zip)."""
    if fmt == "bundle":
        return f"{session.slug}-audit-bundle.zip"
    return f"{session.slug}-result.{EXTENSIONS[fmt]}"


def export(session: VoteSession, fmt: str) -> bytes:
    """The session's result in ``fmt`` (one of FORMATS)."""
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf, "json": to_json,
            "bundle": published_bundle}[fmt](session)


def _counted(session: VoteSession) -> results.SessionResults:
    found = results.session_results(session)
    if not found.counted:
        raise ResultNotCounted()
    return found


def _status(code: str, result, decision: str | None) -> str:
    if code in result.chosen:
        return "入选"
    if result.tie is not None and code in result.tie.candidates:
        return {"tie_break": "同票，再次投票", "leave_empty": "同票，名额空缺"}.get(
            decision, "同票，待主持人决定")
    return "通过，未入选" if code in result.passed else "未通过"


def project_rows(session: VoteSession, found: results.SessionResults) -> list[dict]:
    """One row per project per counted round, with Chinese labels, for every tabular export."""
    titles = {c.code: c for c in session.candidates if c.code}
    final = set(found.final.chosen) if found.final is not None else set()
    rows = []
    for outcome in found.counted:
        result = outcome.result
        ranks = {entry.code: entry.rank for entry in result.ranking}
        for code in result.candidates:
            count = result.counts[code]
            candidate = titles.get(code)
            rows.append({
                "轮次": result.number, "票序": code,
                "项目名称": candidate.title if candidate else code,
                "承办单位": candidate.department if candidate else "",
                "赞成": count.for_, "反对": count.against, "弃权": count.abstain,
                "其中未表态": count.unmarked,
                "是否通过": "是" if code in result.passed else "否",
                "排名": ranks.get(code, ""),
                "本轮结果": _status(code, result, outcome.round.decision),
                "最终入选": "是" if code in final else "否",
            })
    return rows


def round_rows(session: VoteSession, found: results.SessionResults) -> list[dict]:
    """One row per counted round: quota, turnout, issued/returned/valid/invalid, threshold."""
    return [
        {"轮次": o.result.number, "应选名额": o.result.quota, "应到": o.result.roster_size,
         "实到": o.result.present, "发出选票": o.result.issued, "收回选票": o.result.returned,
         "有效票": o.result.valid, "无效票": o.result.invalid,
         "通过所需赞成票": o.result.pass_threshold,
         "收回不超过发出": "是" if o.result.returned_within_issued else "否（本轮无效）",
         "Merkle 根": o.round.merkle_root or ""}
        for o in found.counted
    ]


def candidate_rows(session: VoteSession, found: results.SessionResults) -> list[dict]:
    """The candidate list with the final outcome."""
    order = {code: i for i, code in enumerate(found.final.chosen, 1)} if found.final else {}
    return [
        {"票序": c.code, "项目名称": c.title, "类别": c.category, "承办单位": c.department,
         "预算（万元）": results.decimal_text(c.budget), "征集渠道": c.source,
         "最终入选": "是" if c.code in order else "否", "最终排序": order.get(c.code, "")}
        for c in sorted(session.candidates, key=lambda c: c.position) if c.code
    ]


def neutralise(value):
    """A cell value safe to open in a spreadsheet: text that would run as a formula gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(session: VoteSession) -> bytes:
    """UTF-8 with BOM (Excel in China opens it correctly): the project table, then the rounds."""
    found = _counted(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(session.display_title)])
    writer.writerow(PROJECT_HEADERS)
    for row in project_rows(session, found):
        writer.writerow([neutralise(row[h]) for h in PROJECT_HEADERS])
    writer.writerow([])
    writer.writerow(ROUND_HEADERS)
    for row in round_rows(session, found):
        writer.writerow([neutralise(row[h]) for h in ROUND_HEADERS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(session: VoteSession) -> bytes:
    """A workbook: 计票结果 (per project per round), 轮次统计, 候选项目."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    found = _counted(session)
    workbook = Workbook()
    sheets = [
        ("计票结果", PROJECT_HEADERS, project_rows(session, found)),
        ("轮次统计", ROUND_HEADERS, round_rows(session, found)),
        ("候选项目", CANDIDATE_HEADERS, candidate_rows(session, found)),
    ]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F0F2F4")
    for index, (title, headers, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(list(headers))
        for row in rows:
            sheet.append([neutralise(row[h]) for h in headers])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center")
        sheet.freeze_panes = "A2"
        for column, header in enumerate(headers, 1):
            values = [header, *(str(row[header]) for row in rows)]
            # CJK characters take about two columns of Excel's width unit.
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values)
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = min(
                60, width + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_json(session: VoteSession) -> bytes:
    """The signed result document, byte for byte (result.json)."""
    if session.result_document is None:
        raise ResultNotPublished()
    return session.result_document


def manifest(session: VoteSession) -> dict:
    """The bundle manifest (docs/audit-bundle.md §4)."""
    return {
        "format": bundle.BUNDLE_FORMAT,
        "session": results.session_header(session),
        "rules": results.rules_header(session),
        "candidates": results.candidate_list(session),
        "roster_size": sessions.counts(session)["expected"],
        "scrutineers": results.scrutineer_header(session),
        "rounds": [{"number": r.number, "candidates": list(r.candidates), "quota": r.quota}
                   for r in rounds.list_rounds(session)],
    }


def public_audit_log(session: VoteSession) -> list[dict]:
    """Staff actions on the session fit to publish: setup, rounds, decisions, result."""
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.session_id == session.id).order_by(AuditEntry.id)
    ).scalars()
    published = []
    for entry in entries:
        if not entry.action.startswith(PUBLIC_AUDIT_PREFIXES):
            continue
        detail = entry.detail or {}
        if any(word in key.lower() for key in detail for word in SECRET_DETAIL_WORDS):
            continue
        published.append({"at": entry.at.astimezone(UTC).isoformat(timespec="seconds"),
                          "actor": entry.actor, "action": entry.action, "detail": detail})
    return published


def bundle_version(session: VoteSession) -> tuple:
    """What a published session's bundle is made of, in a few values: once the result is
    published nothing in the bundle can change (every edit is refused) but the audit log, which
    only grows, so two equal versions mean byte-identical bundles."""
    last_audit = db.session.scalar(
        select(func.max(AuditEntry.id)).where(AuditEntry.session_id == session.id))
    return (session.id, session.result_signature, last_audit)


_BUNDLES = BundleCache()  # this process's published bundles (see bundle_cache)


def published_bundle(session: VoteSession) -> bytes:
    """``to_bundle(session)``, built once per ``bundle_version`` by each server process."""
    return _BUNDLES.get(bundle_version(session), lambda: to_bundle(session))


def to_bundle(session: VoteSession) -> bytes:
    """The audit bundle zip (docs/audit-bundle.md), only once the result is published."""
    if session.result_document is None or session.result_signature is None:
        raise ResultNotPublished()
    numbers = [r.number for r in rounds.list_rounds(session)]
    buffer = io.BytesIO()
    bundle.write_bundle(
        buffer,
        manifest=manifest(session),
        entries=[e for n in numbers for e in rounds.published_entries(session, n)],
        issued={n: rounds.issued_names(session, n) for n in numbers},
        result_json=session.result_document,
        result_sig=session.result_signature,
        public_key_pem=session.public_key,
        audit_log=public_audit_log(session),
    )
    return buffer.getvalue()


# --- the PDF record ---------------------------------------------------------------------------


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        # A TrueType collection: subfont 0 is Micro Hei; reportlab embeds the used glyphs.
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


def to_pdf(session: VoteSession) -> bytes:
    """A printable record: announcement, per-round count tables, turnout, scrutineers, key."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    found = _counted(session)
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=1,
                           spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=12.5, leading=18, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, spaceBefore=2)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=12)

    counts = sessions.counts(session)
    published = session.result_document is not None
    story = [
        Paragraph("民生实事项目人大代表票决结果记录", title),
        Paragraph(_escape(session.display_title), ParagraphStyle("sub", parent=body, alignment=1)),
        Spacer(1, 4 * mm),
        Paragraph(
            f"会议日期：{session.date.isoformat()}　　级别：{_escape(session.level)}　　"
            f"状态：{STATE_LABELS[session.state]}"
            + ("" if published else "（结果尚未公布，本记录为计票草稿）"), body),
        Paragraph(
            f"应到代表 {counts['expected']} 名，实到 {counts['present']} 名，"
            f"请假 {counts['leave']} 名；应选项目 {session.quota} 个，"
            f"{'差额' if session.contested else '等额'}票决。", body),
    ]
    if found.ready:
        document = (results.published_document(session) if published
                    else results.result_document(session, found))
        story += [Paragraph("结果公告", heading),
                  Paragraph(_escape(results.announcement(session, document)), body)]
    rows = project_rows(session, found)
    for rnd in round_rows(session, found):
        story.append(Paragraph(f"第 {rnd['轮次']} 轮计票", heading))
        story.append(Paragraph(
            f"应选名额 {rnd['应选名额']}，发出选票 {rnd['发出选票']} 张，收回 {rnd['收回选票']} 张，"
            f"有效票 {rnd['有效票']} 张，无效票 {rnd['无效票']} 张；"
            f"通过须获赞成票 {rnd['通过所需赞成票']} 票。", body))
        headers = ("票序", "项目名称", "赞成", "反对", "弃权", "通过", "排名", "本轮结果")
        data = [[Paragraph(h, cell) for h in headers]]
        for row in (r for r in rows if r["轮次"] == rnd["轮次"]):
            data.append([row["票序"], Paragraph(_escape(row["项目名称"]), cell), row["赞成"],
                         row["反对"], row["弃权"], row["是否通过"], row["排名"],
                         Paragraph(row["本轮结果"], cell)])
        table = Table(data, colWidths=[12 * mm, 62 * mm, 14 * mm, 14 * mm, 14 * mm, 12 * mm,
                                       12 * mm, 30 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), font, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("ALIGN", (2, 1), (6, -1), "RIGHT"),
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
        Spacer(1, 10 * mm),
        Paragraph("总监票人签字：＿＿＿＿＿＿＿＿　　主持人签字：＿＿＿＿＿＿＿＿", body),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"{session.display_title} 票决结果", author="票决")
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    # Paragraph text is a small markup language: names with & or < must not break it.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
