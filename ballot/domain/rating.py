"""The 满意度测评 rule (DESIGN §2, "After the vote"): grading one project from its rating ballots.

The 测评 ballot's rules, kept beside the 票决 ballot's (rules.py, tally.py): pure functions over
plain counts, no Flask, no database. A project is 满意 when 满意 is more than half of the basis,
else 基本满意 when 满意 + 基本满意 is, else 不满意. The basis is the ballots cast (default; blank
and invalid ballots included, so a minority that marked the project cannot carry it) or, where
the congress's rule says so, every delegate on the roster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ballot.domain.errors import N_

SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
DISSATISFIED = "dissatisfied"
GRADES = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED)
GRADE_LABELS = {SATISFIED: N_("满意"), BASICALLY_SATISFIED: N_("基本满意"),
                DISSATISFIED: N_("不满意")}

BASIS_CAST = "cast"
BASIS_ROSTER = "roster"
BASES = (BASIS_CAST, BASIS_ROSTER)
BASIS_LABELS = {BASIS_CAST: N_("收回测评票数"), BASIS_ROSTER: N_("全体代表数")}


def _check_count(name: str, value: int) -> None:
    # bool is an int subclass; True as a count is a caller bug, not a count of one.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


@dataclass(frozen=True)
class Rating:
    """One project's 测评 outcome: the counts, the basis they were judged against, the grade."""

    satisfied: int
    basically: int
    dissatisfied: int
    cast: int
    basis_size: int
    grade: str

    @property
    def rate(self) -> Decimal:
        """满意率 in percent, one decimal: (满意 + 基本满意) of the basis."""
        share = Decimal(100 * (self.satisfied + self.basically)) / Decimal(self.basis_size)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def grade_satisfaction(satisfied: int, basically: int, dissatisfied: int, cast: int, *,
                       basis: str = BASIS_CAST, roster: int | None = None) -> str:
    """The grade (SATISFIED / BASICALLY_SATISFIED / DISSATISFIED) of one project."""
    return rate(satisfied, basically, dissatisfied, cast, basis=basis, roster=roster).grade


def rate(satisfied: int, basically: int, dissatisfied: int, cast: int, *,
         basis: str = BASIS_CAST, roster: int | None = None) -> Rating:
    """Grade one project from its counts; ValueError for impossible counts or an unknown basis."""
    for name, value in (("satisfied", satisfied), ("basically", basically),
                        ("dissatisfied", dissatisfied), ("cast", cast)):
        _check_count(name, value)
    if satisfied + basically + dissatisfied > cast:
        raise ValueError("more marks than ballots cast")
    if basis == BASIS_CAST:
        size = cast
    elif basis == BASIS_ROSTER:
        if roster is None:
            raise ValueError("the roster basis needs the roster size")
        _check_count("roster", roster)
        if roster < cast:
            raise ValueError("more ballots cast than delegates on the roster")
        size = roster
    else:
        raise ValueError(f"unknown basis {basis!r}")
    if size == 0:
        raise ValueError("cannot grade a project with no ballots")
    # Doubled counts avoid fractions: "more than half" means 2 * x > size.
    if 2 * satisfied > size:
        grade = SATISFIED
    elif 2 * (satisfied + basically) > size:
        grade = BASICALLY_SATISFIED
    else:
        grade = DISSATISFIED
    return Rating(satisfied, basically, dissatisfied, cast, size, grade)


# --- the 测评 ballot -----------------------------------------------------------------------
# A 测评 ballot rides on the same encrypted (first bit, second bit) pair per project as a 票决
# ballot (docs/ballot-box.md): 满意 is the first bit (a 票决 赞成), 不满意 the second (反对) and
# 基本满意 neither (弃权), so the same proofs and the same per-project totals serve both kinds. A
# 测评 ballot has no quota: every project may be 满意 (its limit is the number of projects).
# A project left unmarked is therefore counted as 基本满意; the kiosk asks for every project.

KIND_VOTE = "vote"
KIND_RATING = "rating"
KINDS = (KIND_VOTE, KIND_RATING)
KIND_LABELS = {KIND_VOTE: N_("票决"), KIND_RATING: N_("满意度测评")}

# The ballot mark (tally.FOR / AGAINST / ABSTAIN) each grade is cast as, and back.
MARK_OF_GRADE = {SATISFIED: "for", DISSATISFIED: "against", BASICALLY_SATISFIED: "abstain"}
GRADE_OF_MARK = {mark: grade for grade, mark in MARK_OF_GRADE.items()}


def rate_totals(codes: Sequence[str], totals: Mapping[str, tuple[int, int]], cast: int, *,
                valid: int | None = None, basis: str = BASIS_CAST,
                roster: int | None = None) -> dict[str, Rating]:
    """Grade every project of a 测评 round from its decrypted (满意, 不满意) totals.

    ``cast`` is the ballots returned (the basis under BASIS_CAST), ``valid`` those counted
    (default: all cast); 基本满意 = valid − 满意 − 不满意. ValueError for impossible totals.
    """
    _check_count("cast", cast)
    counted = cast if valid is None else valid
    _check_count("valid", counted)
    if counted > cast:
        raise ValueError("more valid ballots than ballots cast")
    if set(totals) != set(codes):
        raise ValueError("totals must name exactly the round's projects")
    graded: dict[str, Rating] = {}
    for code in codes:
        satisfied, dissatisfied = totals[code]
        _check_count("satisfied", satisfied)
        _check_count("dissatisfied", dissatisfied)
        if satisfied + dissatisfied > counted:
            raise ValueError(f"project {code}: more marks than valid ballots")
        graded[code] = rate(satisfied, counted - satisfied - dissatisfied, dissatisfied, cast,
                            basis=basis, roster=roster)
    return graded


def rating_dict(outcome: Rating) -> dict:
    """A Rating as the signed result document and the bundle carry it."""
    return {"satisfied": outcome.satisfied, "basically": outcome.basically,
            "dissatisfied": outcome.dissatisfied, "cast": outcome.cast,
            "basis_size": outcome.basis_size, "grade": outcome.grade, "rate": f"{outcome.rate}"}
