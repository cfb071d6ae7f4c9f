"""A counted round's ballots as every result surface shows them: issued and returned per kind
(投票机 / 纸质), valid, invalid with the reasons (超过应选数 / 无法辨认), read from the round's
result in this one place (``ballot_figures``), and the sentence that says them
(``ballots_text``: the announcement, the DOCX, the PDF, the screens, ``ballot tally``).

A result counted before paper ballots reads as all kiosk ballots with no reason
(``RoundResult.from_dict``). Pure: no Flask, no database, so services.results (the
announcement) and result_rows both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ballot.domain.errors import N_, Listing, render_message
from ballot.domain.tally import (
    BALLOT_KINDS,
    INVALID_REASONS,
    RoundResult,
)
from ballot.domain.tally import INVALID_OVER_QUOTA as OVER_QUOTA
from ballot.domain.tally import INVALID_UNREADABLE as UNREADABLE
from ballot.domain.tally import KIND_KIOSK as KIOSK
from ballot.domain.tally import KIND_PAPER as PAPER

KIND_LABELS = {KIOSK: N_("投票机"), PAPER: N_("纸质")}
REASON_LABELS = {OVER_QUOTA: N_("超过应选数"), UNREADABLE: N_("无法辨认")}
# The words of a round's ballots on every surface that names them (the chair's console, the
# projection, the results page, the board, the exports): a 测评's ballots are 测评票, as
# ballots_text says. The paper note's two halves surround its number; the chair's question
# before closing takes the round's (n); the board's link and names list take a count (n).
BALLOT_LABELS = {
    False: {"issued": N_("发出选票"), "returned": N_("收回选票"), "paper": N_("其中纸质选票"),
            "paper_after": N_("张：投票结束后由计票人录入，录入后计入收回选票。"),
            "close": N_("结束后未投出的选票作废，不能再投票。确认结束第 %(n)s 轮投票并计票？"),
            "entries": N_("查看本轮全部 %(n)s 张选票"),
            "names": N_("领取选票的代表名单（%(n)s 人，按名册顺序）"),
            "void": N_("收回选票多于发出选票，本轮投票无效，须重新投票。"),
            "void_kinds": N_("%(kinds)s收回选票多于发出选票，本轮投票无效，须重新投票。")},
    True: {"issued": N_("发出测评票"), "returned": N_("收回测评票"), "paper": N_("其中纸质测评票"),
           "paper_after": N_("张：投票结束后由计票人录入，录入后计入收回测评票。"),
           "close": N_("结束后未投出的测评票作废，不能再投票。确认结束第 %(n)s 轮投票并计票？"),
           "entries": N_("查看本轮全部 %(n)s 张测评票"),
           "names": N_("领取测评票的代表名单（%(n)s 人，按名册顺序）"),
           "void": N_("收回测评票多于发出测评票，本轮投票无效，须重新投票。"),
           "void_kinds": N_("%(kinds)s收回测评票多于发出测评票，本轮投票无效，须重新投票。")},
}


@dataclass(frozen=True)
class BallotFigures:
    """A counted round's ballots: issued and returned per kind (投票机 / 纸质), valid, invalid
    per reason (超过应选数 / 无法辨认). What every result surface shows of a round's ballots."""

    issued: int
    returned: int
    valid: int
    invalid: int
    issued_by_kind: dict[str, int]
    returned_by_kind: dict[str, int]
    invalid_by_reason: dict[str, int]
    within_issued: bool

    @property
    def has_paper(self) -> bool:
        """True when the round had a paper ballot at all (issued or returned)."""
        return bool(self.issued_by_kind[PAPER] or self.returned_by_kind[PAPER])

    @property
    def void_kinds(self) -> tuple[str, ...]:
        """The kinds whose returned ballots exceed those issued (the round is then void)."""
        return tuple(kind for kind in BALLOT_KINDS
                     if self.returned_by_kind[kind] > self.issued_by_kind[kind])

    @property
    def reasons(self) -> tuple[tuple[str, int], ...]:
        """(reason, count) of every reason that invalidated a ballot, in the record's order."""
        return tuple((r, self.invalid_by_reason[r]) for r in INVALID_REASONS
                     if self.invalid_by_reason[r])


def ballot_figures(round_result: Mapping | RoundResult) -> BallotFigures:
    """The ballots of a counted round, from its RoundResult or its result dict (Round.result,
    or a round of the result document)."""
    result = (round_result if isinstance(round_result, RoundResult)
              else RoundResult.from_dict(round_result))
    return BallotFigures(
        issued=result.issued, returned=result.returned, valid=result.valid,
        invalid=result.invalid, issued_by_kind=dict(result.issued_by_kind),
        returned_by_kind=dict(result.returned_by_kind),
        invalid_by_reason=dict(result.invalid_by_reason),
        within_issued=result.returned_within_issued)


def _split(figures: dict[str, int], translate) -> str:
    return render_message(N_("（投票机%(kiosk)s张，纸质%(paper)s张）"), figures, translate)


def ballot_labels(rating_ballot: bool = False) -> dict[str, str]:
    """The words of a round's ballots (issued, returned, the paper note's halves, the chair's
    question before closing, the board's link and names, why a round is void), as messages to
    translate: 选票, or 测评票 for a 测评."""
    return BALLOT_LABELS[rating_ballot]


def ballots_text(figures: BallotFigures, translate=None, *, rating_ballot: bool = False) -> str:
    """"发出选票12张（投票机10张，纸质2张），收回12张（…），有效票11张，无效票1张（其中超过应选数1张）":
    the per-kind split only when the round had paper ballots, 有效票/无效票 always."""
    issued = render_message(N_("发出测评票%(n)s张") if rating_ballot else N_("发出选票%(n)s张"),
                            {"n": figures.issued}, translate)
    returned = render_message(N_("收回%(n)s张"), {"n": figures.returned}, translate)
    if figures.has_paper:
        issued += _split(figures.issued_by_kind, translate)
        returned += _split(figures.returned_by_kind, translate)
    valid = render_message(N_("有效票%(valid)s张，无效票%(invalid)s张"),
                           {"valid": figures.valid, "invalid": figures.invalid}, translate)
    if figures.reasons:
        reasons = Listing((N_("%(reason)s%(n)s张"), {"reason": REASON_LABELS[r], "n": n})
                          for r, n in figures.reasons)
        valid += render_message(N_("（其中%(reasons)s）"), {"reasons": reasons}, translate)
    return render_message(Listing([issued, returned, valid], N_("，")), None, translate)


def void_text(figures: BallotFigures, translate=None, *, rating_ballot: bool = False) -> str:
    """Why a round is void, naming the kind whose returned ballots exceed those issued."""
    labels = BALLOT_LABELS[rating_ballot]
    kinds = figures.void_kinds
    if not kinds or not figures.has_paper:
        return render_message(labels["void"], None, translate)
    return render_message(labels["void_kinds"],
                          {"kinds": Listing(KIND_LABELS[k] for k in kinds)}, translate)
