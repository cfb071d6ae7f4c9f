"""The rows every result document is made of (CSV, XLSX, the PDF record, the Word
announcement, ``ballot tally``): one per project per counted round, one per round; and the
font the printed documents use. Shared by services.export and the documents it dispatches to
(services.records, services.announcement_docx), which therefore need not import export back.
"""

from __future__ import annotations

from pathlib import Path

from ballot.domain.errors import ResultNotCounted
from ballot.models import VoteSession
from ballot.services import results

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"


def counted(session: VoteSession) -> results.SessionResults:
    """The session's rounds and counts; ResultNotCounted before the first count."""
    found = results.session_results(session)
    if not found.counted:
        raise ResultNotCounted()
    return found


def status(code: str, result, decision: str | None) -> str:
    """What round ``result`` decided for project ``code``, in Chinese (the record's words)."""
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
                "是否通过": "是" if code in result.passed else "否",
                "排名": ranks.get(code, ""),
                "本轮结果": status(code, result, outcome.round.decision),
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


def font() -> str:
    """The CJK font registered with reportlab (once), by name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        # A TrueType collection: subfont 0 is Micro Hei; reportlab embeds the used glyphs.
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME
