"""Year-end 满意度测评 grading: halves are of all voters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballot.domain.tally import (
    BASICALLY_SATISFIED,
    DISSATISFIED,
    SATISFIED,
    grade_satisfaction,
)


@pytest.mark.parametrize(
    ("satisfied", "basically", "dissatisfied", "voters", "grade"),
    [
        (31, 10, 19, 60, SATISFIED),
        (30, 20, 10, 60, BASICALLY_SATISFIED),  # exactly half 满意 is not more than half
        (20, 11, 29, 60, BASICALLY_SATISFIED),
        (20, 10, 30, 60, DISSATISFIED),  # 满意 + 基本满意 exactly half
        (0, 0, 0, 60, DISSATISFIED),
        (30, 0, 0, 59, SATISFIED),
        # Blank ballots count among voters: 满意 is a majority of marks but not of voters.
        (25, 0, 10, 60, DISSATISFIED),
        (25, 6, 0, 60, BASICALLY_SATISFIED),
    ],
)
def test_grades(satisfied: int, basically: int, dissatisfied: int, voters: int, grade: str) -> None:
    assert grade_satisfaction(satisfied, basically, dissatisfied, voters) == grade


@pytest.mark.parametrize(
    "args",
    [(10, 10, 10, 29), (-1, 0, 0, 5), (0, 0, 0, 0), (1, 0, 0, True)],
)
def test_rejects_impossible_counts(args: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        grade_satisfaction(*args)


@given(st.data())
def test_grade_matches_definition(data: st.DataObject) -> None:
    voters = data.draw(st.integers(1, 400))
    satisfied = data.draw(st.integers(0, voters))
    basically = data.draw(st.integers(0, voters - satisfied))
    dissatisfied = data.draw(st.integers(0, voters - satisfied - basically))
    grade = grade_satisfaction(satisfied, basically, dissatisfied, voters)
    if satisfied > voters / 2:
        assert grade == SATISFIED
    elif satisfied + basically > voters / 2:
        assert grade == BASICALLY_SATISFIED
    else:
        assert grade == DISSATISFIED
