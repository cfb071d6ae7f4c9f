"""The 满意度测评 rule (DESIGN §2, "After the vote"): grading one project from its rating ballots.

The 测评 ballot's rules, kept beside the 票决 ballot's (rules.py, tally.py): pure functions over
plain counts, no Flask, no database. A project is 满意 when 满意 is more than half of the basis,
else 基本满意 when 满意 + 基本满意 is, else 不满意. The basis is the ballots cast (default; blank
and invalid ballots included, so a minority that marked the project cannot carry it) or, where
the congress's rule says so, every delegate on the roster.
"""

from __future__ import annotations

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
BASIS_LABELS = {BASIS_CAST: N_("收回选票数"), BASIS_ROSTER: N_("全体代表数")}


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
