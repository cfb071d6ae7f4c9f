"""Exports of a session's result: CSV, XLSX, a PDF record, the signed JSON and the audit bundle.

CSV/XLSX/PDF work once a round has been counted (the PDF says when it is not yet published);
the signed JSON and the audit bundle exist only after publication, because they carry the
session key's signature.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC

from sqlalchemy import func, select

from ballot import bundle
from ballot.domain.errors import ResultNotPublished
from ballot.domain.rules import STATE_LABELS
from ballot.extensions import db
from ballot.models import AuditEntry, VoteSession
from ballot.services import board, box, opening, results, rounds, sessions, spreadsheets
from ballot.services.bundle_cache import BundleCache
from ballot.services.result_rows import (
    counted,
    is_rating,
    project_headers,
    project_rows,
    round_headers,
    round_rows,
)

FORMATS = ("csv", "xlsx", "pdf", "docx", "json", "bundle")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "json": "application/json",
    "bundle": "application/zip",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf", "docx": "docx", "json": "json",
              "bundle": "zip"}

# The project and round columns (a 票决's or a 测评's) come from result_rows.
CANDIDATE_HEADERS = ("票序", "项目名称", "类别", "承办单位", "预算（万元）", "征集渠道",
                     "最终入选", "最终排序")
RATED_PROJECT_HEADERS = ("票序", "项目名称", "类别", "承办单位", "预算（万元）", "测评结果")
# Only staff actions on the session's setup, rounds and result go into the bundle: never
# anything about a delegate's ballot handling, which could hint at who voted when.
PUBLIC_AUDIT_PREFIXES = ("session.", "candidate.", "round.", "result.")
SECRET_DETAIL_WORDS = ("token", "ballot_id", "tracking", "choice", "delegate")


def filename(session: VoteSession, fmt: str) -> str:
    """The download name: <slug>-result.<ext> (the bundle: <slug>-audit-bundle.zip)."""
    if fmt == "bundle":
        return f"{session.slug}-audit-bundle.zip"
    if fmt == "docx":
        return f"{session.slug}-announcement.docx"
    return f"{session.slug}-result.{EXTENSIONS[fmt]}"


def export(session: VoteSession, fmt: str) -> bytes:
    """The session's result in ``fmt`` (one of FORMATS)."""
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf, "docx": to_docx, "json": to_json,
            "bundle": published_bundle}[fmt](session)


def candidate_rows(session: VoteSession, found: rounds.SessionResults) -> list[dict]:
    """The candidate list with the final outcome (a 测评: each project's grade)."""
    if is_rating(session):
        grades = {row["票序"]: row["测评结果"] for row in project_rows(session, found)}
        return [
            {"票序": c.code, "项目名称": c.title, "类别": c.category, "承办单位": c.department,
             "预算（万元）": c.budget if c.budget is not None else "",
             "测评结果": grades.get(c.code, "")}
            for c in sorted(session.candidates, key=lambda c: c.position) if c.code
        ]
    order = {code: i for i, code in enumerate(found.final.chosen, 1)} if found.final else {}
    return [
        {"票序": c.code, "项目名称": c.title, "类别": c.category, "承办单位": c.department,
         "预算（万元）": c.budget if c.budget is not None else "", "征集渠道": c.source,
         "最终入选": "是" if c.code in order else "否", "最终排序": order.get(c.code, "")}
        for c in sorted(session.candidates, key=lambda c: c.position) if c.code
    ]


neutralise = spreadsheets.neutralise


def to_csv(session: VoteSession) -> bytes:
    """UTF-8 with BOM (Excel in China opens it correctly): the project table, then the rounds."""
    found = counted(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(session.display_title)])
    headers = project_headers(session)
    writer.writerow(headers)
    for row in project_rows(session, found):
        writer.writerow([neutralise(row[h]) for h in headers])
    writer.writerow([])
    headers = round_headers(session, found)
    writer.writerow(headers)
    for row in round_rows(session, found):
        writer.writerow([neutralise(row[h]) for h in headers])
    return buffer.getvalue().encode("utf-8-sig")


def title_lines(session: VoteSession, subject: str) -> list[str]:
    """The title block of an office document: what, which congress and session, when."""
    from ballot.services import records

    published = session.result_document is not None
    times = "；".join(t.text() for t in records.round_times(session))
    return [f"{session.display_title} · {subject}",
            f"{session.congress}　会议日期 {session.date.isoformat()}　{session.level}　"
            f"状态：{STATE_LABELS[session.state]}" + ("" if published else "（结果尚未公布，计票草稿）"),
            f"投票时间：{times or '—'}"]


def to_xlsx(session: VoteSession) -> bytes:
    """A workbook: 计票结果 (per project per round), 轮次统计, 候选项目 (a 测评: 测评结果,
    轮次统计, 测评项目); each sheet with a title block, numbers as numbers and A4 print set-up."""
    found = counted(session)
    rated = is_rating(session)
    first = "测评结果" if rated else "计票结果"

    def build(workbook) -> None:
        spreadsheets.add_sheet(workbook, first, project_headers(session),
                               project_rows(session, found),
                               title_lines(session, first), landscape=True,
                               number_formats={"满意率（%）": "0.0"})
        spreadsheets.add_sheet(workbook, "轮次统计", round_headers(session, found),
                               round_rows(session, found),
                               title_lines(session, "轮次统计"), landscape=True)
        spreadsheets.add_sheet(workbook, "测评项目" if rated else "候选项目",
                               RATED_PROJECT_HEADERS if rated else CANDIDATE_HEADERS,
                               candidate_rows(session, found),
                               title_lines(session, "测评项目及测评结果" if rated
                                           else "候选项目及票决结果"),
                               number_formats={"预算（万元）": "#,##0.00"})

    return spreadsheets.workbook_bytes(build)


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
        "roster_size": sessions.counts(session).expected,
        "scrutineers": results.scrutineer_header(session),
        "box": {**box.box_key(session).to_json(), "public_key": session.box_public_key,
                "holders": list(session.box_holders), "fingerprint": session.box_fingerprint},
        "rounds": [{"number": r.number, "candidates": list(r.candidates), "quota": r.quota}
                   for r in rounds.list_rounds(session)],
    }


def box_openings(session: VoteSession) -> dict[int, dict]:
    """Per round, the opening of its box (docs/audit-bundle.md §7): the products of its
    ciphertexts, the partial decryptions the scrutineers' cards made, the decrypted totals."""
    out = {}
    for round_ in rounds.list_rounds(session):
        counts = round_.result["counts"]
        out[round_.number] = {
            "products": round_.box_products,
            "partials": opening.partials_of(session, round_.number),
            "totals": {code: {"for": counts[code]["for"], "against": counts[code]["against"]}
                       for code in round_.candidates},
        }
    return out


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
        entries=[e for n in numbers for e in board.published_entries(session, n)],
        issued={n: rounds.issued_names(session, n) for n in numbers},
        box=box_openings(session),
        result_json=session.result_document,
        result_sig=session.result_signature,
        public_key_pem=session.public_key,
        audit_log=public_audit_log(session),
    )
    return buffer.getvalue()


# --- the PDF record ---------------------------------------------------------------------------


def to_docx(session: VoteSession) -> bytes:
    """The 表决结果公告 as Word (ballot/services/announcement_docx.py)."""
    from ballot.services import announcement_docx

    return announcement_docx.to_docx(session)


def to_pdf(session: VoteSession) -> bytes:
    """The printable result record (ballot/services/records.py)."""
    from ballot.services import records

    return records.to_pdf(session)
