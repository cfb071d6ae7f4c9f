"""The rows every result document is made of (CSV, XLSX, the PDF record, the Word
announcement, ``ballot tally``): one per project per counted round, one per round. Shared by
services.export and the documents it dispatches to (services.records,
services.announcement_docx), which therefore need not import export back.
"""

from __future__ import annotations

from decimal import Decimal

from ballot.domain import rating
from ballot.domain.errors import ResultNotCounted
from ballot.models import VoteSession
from ballot.services import rating_sessions, rounds
from ballot.services.figures import (
    KIND_LABELS,
    KIOSK,
    OVER_QUOTA,
    PAPER,
    UNREADABLE,
    BallotFigures,
    ballot_figures,
    ballot_labels,
    ballots_text,
    void_text,
)
from ballot.services.rating_sessions import is_rating

__all__ = ["BallotFigures", "ballot_figures", "ballots_text", "is_rating", "void_text"]


def round_ratings(session: VoteSession, outcome: rounds.RoundOutcome) -> dict[str, dict]:
    """Each project's rating (rating.rating_dict) of a counted 测评 round."""
    return rating_sessions.round_ratings(session, outcome.round.result,
                                         outcome.result.roster_size)


def counted(session: VoteSession) -> rounds.SessionResults:
    """The session's rounds and counts; ResultNotCounted before the first count."""
    found = rounds.session_results(session)
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


VOTE_PROJECT_HEADERS = ("轮次", "票序", "项目名称", "承办单位", "赞成", "反对", "弃权",
                        "是否通过", "排名", "本轮结果", "最终入选")
RATING_PROJECT_HEADERS = ("票序", "项目名称", "承办单位", "满意", "基本满意", "不满意",
                          "满意率（%）", "测评结果")
PAPER_HEADERS = ("发出（投票机）", "发出（纸质）", "收回（投票机）", "收回（纸质）")
REASON_HEADERS = ("其中超过应选数", "其中无法辨认")


def project_headers(session: VoteSession) -> tuple[str, ...]:
    """The project table's columns: a 票决's votes and decisions, or a 测评's grades."""
    return RATING_PROJECT_HEADERS if is_rating(session) else VOTE_PROJECT_HEADERS


def any_paper(found: rounds.SessionResults) -> bool:
    """True when any counted round of the session had a paper ballot."""
    return any(ballot_figures(o.result).has_paper for o in found.counted)


def round_headers(session: VoteSession, found: rounds.SessionResults) -> tuple[str, ...]:
    """The rounds table's columns; the per-kind and per-reason ones only when paper was used."""
    paper = PAPER_HEADERS if any_paper(found) else ()
    reasons = REASON_HEADERS if any_paper(found) else ()
    words = ballot_labels(is_rating(session))  # 发出选票, or 发出测评票 for a 测评
    issued, returned = str(words["issued"]), str(words["returned"])
    if is_rating(session):
        return ("轮次", "应到", "实到", issued, *paper[:2], returned, *paper[2:], "有效票",
                "无效票", *reasons, "过半数的基数", "基数人数", "收回不超过发出", "Merkle 根")
    return ("轮次", "应选名额", "应到", "实到", issued, *paper[:2], returned, *paper[2:],
            "有效票", "无效票", *reasons, "通过所需赞成票", "收回不超过发出", "Merkle 根")


def project_rows(session: VoteSession, found: rounds.SessionResults) -> list[dict]:
    """One row per project per counted round, with Chinese labels, for every tabular export
    (keys: ``project_headers(session)``)."""
    titles = {c.code: c for c in session.candidates if c.code}
    if is_rating(session):
        return _rating_rows(session, found, titles)
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


def _rating_rows(session: VoteSession, found: rounds.SessionResults, titles: dict) -> list[dict]:
    rows = []
    for outcome in found.counted:
        void = not ballot_figures(outcome.result).within_issued
        for code, values in round_ratings(session, outcome).items():
            candidate = titles.get(code)
            rows.append({
                "轮次": outcome.result.number, "票序": code,
                "项目名称": candidate.title if candidate else code,
                "承办单位": candidate.department if candidate else "",
                "满意": values["satisfied"], "基本满意": values["basically"],
                "不满意": values["dissatisfied"], "满意率（%）": Decimal(values["rate"]),
                "测评结果": "本轮无效" if void else rating.GRADE_LABELS[values["grade"]],
                "grade": values["grade"],
            })
    return rows


def _within_text(figures: BallotFigures) -> str:
    if figures.within_issued:
        return "是"
    if figures.has_paper and figures.void_kinds:
        kinds = "、".join(KIND_LABELS[k] for k in figures.void_kinds)
        return f"否（{kinds}收回多于发出，本轮无效）"
    return "否（本轮无效）"


def round_rows(session: VoteSession, found: rounds.SessionResults) -> list[dict]:
    """One row per counted round: turnout, issued/returned (per kind when paper was used),
    valid/invalid (with the reasons), the pass threshold or the 测评's basis (keys:
    ``round_headers``)."""
    rows = []
    words = ballot_labels(is_rating(session))
    for o in found.counted:
        r = o.result
        figures = ballot_figures(o.result)
        row = {"轮次": r.number, "应选名额": r.quota, "应到": r.roster_size, "实到": r.present,
               words["issued"]: figures.issued, words["returned"]: figures.returned,
               "发出（投票机）": figures.issued_by_kind[KIOSK],
               "发出（纸质）": figures.issued_by_kind[PAPER],
               "收回（投票机）": figures.returned_by_kind[KIOSK],
               "收回（纸质）": figures.returned_by_kind[PAPER],
               "有效票": figures.valid, "无效票": figures.invalid,
               "其中超过应选数": figures.invalid_by_reason[OVER_QUOTA],
               "其中无法辨认": figures.invalid_by_reason[UNREADABLE],
               "通过所需赞成票": r.pass_threshold,
               "收回不超过发出": _within_text(figures),
               "Merkle 根": o.round.merkle_root or "", "figures": figures}
        if is_rating(session):
            row["过半数的基数"] = rating.BASIS_LABELS[session.rating_basis]
            row["基数人数"] = (r.roster_size if session.rating_basis == rating.BASIS_ROSTER
                           else figures.returned)
        rows.append(row)
    return rows
