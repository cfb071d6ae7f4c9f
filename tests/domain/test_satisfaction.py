"""The 满意度测评 rule: 满意 > half, else 满意 + 基本满意 > half, else 不满意 (of the basis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballot.domain.rating import (
    BASICALLY_SATISFIED,
    BASIS_ROSTER,
    DISSATISFIED,
    SATISFIED,
    grade_satisfaction,
    rate,
)


@pytest.mark.parametrize(
    ("satisfied", "basically", "dissatisfied", "cast", "grade"),
    [
        (31, 10, 19, 60, SATISFIED),
        (30, 20, 10, 60, BASICALLY_SATISFIED),  # exactly half 满意 is not more than half
        (20, 11, 29, 60, BASICALLY_SATISFIED),
        (20, 10, 30, 60, DISSATISFIED),  # 满意 + 基本满意 exactly half
        (0, 0, 0, 60, DISSATISFIED),
        (30, 0, 0, 59, SATISFIED),
        # Blank ballots count among those cast: 满意 is a majority of marks but not of ballots.
        (25, 0, 10, 60, DISSATISFIED),
        (25, 6, 0, 60, BASICALLY_SATISFIED),
    ],
)
def test_grades(satisfied: int, basically: int, dissatisfied: int, cast: int, grade: str) -> None:
    assert grade_satisfaction(satisfied, basically, dissatisfied, cast) == grade


def test_roster_basis_judges_against_every_delegate() -> None:
    # 31 of 60 cast is satisfied; of a roster of 65 it is not even basically satisfied.
    assert grade_satisfaction(31, 0, 29, 60) == SATISFIED
    assert grade_satisfaction(31, 0, 29, 60, basis=BASIS_ROSTER, roster=65) == DISSATISFIED
    assert grade_satisfaction(31, 2, 27, 60, basis=BASIS_ROSTER, roster=65) == BASICALLY_SATISFIED


def test_rate_is_satisfied_and_basically_of_the_basis() -> None:
    rating = rate(40, 12, 8, 60)
    assert (rating.grade, rating.basis_size, rating.rate) == (SATISFIED, 60, Decimal("86.7"))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((10, 10, 10, 29), {}), ((-1, 0, 0, 5), {}), ((0, 0, 0, 0), {}), ((1, 0, 0, True), {}),
     ((1, 0, 0, 5), {"basis": "present"}), ((1, 0, 0, 5), {"basis": BASIS_ROSTER}),
     ((1, 0, 0, 5), {"basis": BASIS_ROSTER, "roster": 4})],
)
def test_rejects_impossible_counts(args: tuple[int, int, int, int], kwargs: dict) -> None:
    with pytest.raises(ValueError):
        grade_satisfaction(*args, **kwargs)


@given(st.data())
def test_grade_matches_definition(data: st.DataObject) -> None:
    cast = data.draw(st.integers(1, 400))
    satisfied = data.draw(st.integers(0, cast))
    basically = data.draw(st.integers(0, cast - satisfied))
    dissatisfied = data.draw(st.integers(0, cast - satisfied - basically))
    roster = data.draw(st.integers(cast, 450))
    for basis, size in (("cast", cast), ("roster", roster)):
        grade = grade_satisfaction(satisfied, basically, dissatisfied, cast, basis=basis,
                                   roster=roster)
        if satisfied > size / 2:
            assert grade == SATISFIED
        elif satisfied + basically > size / 2:
            assert grade == BASICALLY_SATISFIED
        else:
            assert grade == DISSATISFIED


@given(st.integers(1, 300), st.data())
def test_more_satisfaction_never_lowers_the_grade(cast: int, data: st.DataObject) -> None:
    """Turning a 不满意 mark into 基本满意, or a 基本满意 into 满意, never grades lower."""
    order = {DISSATISFIED: 0, BASICALLY_SATISFIED: 1, SATISFIED: 2}
    satisfied = data.draw(st.integers(0, cast - 1))
    basically = data.draw(st.integers(0, cast - 1 - satisfied))
    dissatisfied = data.draw(st.integers(0, cast - satisfied - basically))
    before = order[grade_satisfaction(satisfied, basically, dissatisfied, cast)]
    if dissatisfied:
        assert order[grade_satisfaction(satisfied, basically + 1, dissatisfied - 1, cast)] >= before
    if basically:
        assert order[grade_satisfaction(satisfied + 1, basically - 1, dissatisfied, cast)] >= before
