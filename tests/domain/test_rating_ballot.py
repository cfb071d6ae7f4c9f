"""The 测评 ballot beside the 票决 ballot: grades ride on the same marks, totals grade each project."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballot.domain import rating, tally


def test_each_grade_is_one_ballot_mark_and_back() -> None:
    assert rating.MARK_OF_GRADE == {rating.SATISFIED: tally.FOR,
                                    rating.DISSATISFIED: tally.AGAINST,
                                    rating.BASICALLY_SATISFIED: tally.ABSTAIN}
    assert {rating.GRADE_OF_MARK[m] for m in tally.CHOICES} == set(rating.GRADES)


def test_totals_grade_every_project_with_basically_the_rest_of_the_valid_ballots() -> None:
    graded = rating.rate_totals(["01", "02", "03"],
                                {"01": (31, 5), "02": (20, 25), "03": (20, 35)}, 60)
    assert graded["01"].grade == rating.SATISFIED
    assert (graded["01"].basically, graded["01"].rate) == (24, Decimal("91.7"))
    assert (graded["02"].basically, graded["02"].grade) == (15, rating.BASICALLY_SATISFIED)
    assert (graded["03"].basically, graded["03"].grade) == (5, rating.DISSATISFIED)
    assert rating.rating_dict(graded["02"]) == {
        "satisfied": 20, "basically": 15, "dissatisfied": 25, "cast": 60, "basis_size": 60,
        "grade": rating.BASICALLY_SATISFIED, "rate": "58.3"}


def test_invalid_ballots_are_cast_but_not_basically_satisfied() -> None:
    graded = rating.rate_totals(["01"], {"01": (30, 0)}, 60, valid=58)
    assert (graded["01"].basically, graded["01"].cast, graded["01"].grade) == (
        28, 60, rating.BASICALLY_SATISFIED)


def test_roster_basis() -> None:
    graded = rating.rate_totals(["01"], {"01": (31, 29)}, 60, basis=rating.BASIS_ROSTER,
                                roster=65)
    assert graded["01"].grade == rating.DISSATISFIED


@pytest.mark.parametrize(("totals", "cast", "valid"), [
    ({"01": (31, 30)}, 60, None),   # more marks than ballots
    ({"02": (1, 1)}, 60, None),     # not the round's projects
    ({"01": (-1, 0)}, 60, None),
    ({"01": (1, 0)}, 60, 61),       # more valid than cast
    ({"01": (0, 0)}, 0, None),      # nothing to grade
])
def test_impossible_totals_are_refused(totals: dict, cast: int, valid: int | None) -> None:
    with pytest.raises(ValueError):
        rating.rate_totals(["01"], totals, cast, valid=valid)
