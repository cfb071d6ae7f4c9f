"""A counted round's ballots as every result surface shows them: issued and returned per kind
(投票机 / 纸质), valid, invalid with the reasons (超过应选数 / 无法辨认), read from the round's
result dict in this one place (``ballot_figures``), and the sentence that says them
(``ballots_text``: the announcement, the DOCX, the PDF, the screens, ``ballot tally``).

Pure: no Flask, no database, so services.results (the announcement) and result_rows both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ballot.domain.errors import N_, Listing, render_message

KIOSK, PAPER = "kiosk", "paper"
BALLOT_KINDS = (KIOSK, PAPER)
KIND_LABELS = {KIOSK: N_("投票机"), PAPER: N_("纸质")}
OVER_QUOTA, UNREADABLE = "over_quota", "unreadable"
INVALID_REASONS = (OVER_QUOTA, UNREADABLE)
REASON_LABELS = {OVER_QUOTA: N_("超过应选数"), UNREADABLE: N_("无法辨认")}


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


def _by(values, keys: tuple[str, ...], default: dict[str, int]) -> dict[str, int]:
    if not isinstance(values, Mapping):
        return dict(default)
    return {key: int(values.get(key, 0) or 0) for key in keys}


def ballot_figures(round_result: Mapping) -> BallotFigures:
    """The ballots of a counted round from its result dict (Round.result, or a round of the
    result document). A result counted before paper ballots existed has no per-kind keys:
    every ballot then came from a voting kiosk and no reason is recorded."""
    issued, returned = int(round_result["issued"]), int(round_result["returned"])
    within = round_result.get("returned_within_issued", True)
    if isinstance(within, Mapping):  # per kind
        within = all(bool(v) for v in within.values())
    return BallotFigures(
        issued=issued, returned=returned, valid=int(round_result["valid"]),
        invalid=int(round_result["invalid"]),
        issued_by_kind=_by(round_result.get("issued_by_kind"), BALLOT_KINDS,
                           {KIOSK: issued, PAPER: 0}),
        returned_by_kind=_by(round_result.get("returned_by_kind"), BALLOT_KINDS,
                             {KIOSK: returned, PAPER: 0}),
        invalid_by_reason=_by(round_result.get("invalid_by_reason"), INVALID_REASONS,
                              {OVER_QUOTA: 0, UNREADABLE: 0}),
        within_issued=bool(within))


def _split(figures: dict[str, int], translate) -> str:
    return render_message(N_("（投票机%(kiosk)s张，纸质%(paper)s张）"), figures, translate)


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


def void_text(figures: BallotFigures, translate=None) -> str:
    """Why a round is void, naming the kind whose returned ballots exceed those issued."""
    kinds = figures.void_kinds
    if not kinds or not figures.has_paper:
        return render_message(N_("收回选票多于发出选票，本轮投票无效，须重新投票。"), None, translate)
    return render_message(
        N_("%(kinds)s收回选票多于发出选票，本轮投票无效，须重新投票。"),
        {"kinds": Listing(KIND_LABELS[k] for k in kinds)}, translate)
