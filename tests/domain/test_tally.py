"""The pure tally: counts, pass threshold, ranking, cutoff, ties and combining rounds."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.domain.tally import (
    PROBLEM_TOO_MANY_FOR,
    PROBLEM_UNKNOWN_CANDIDATE,
    PROBLEM_UNKNOWN_CHOICE,
    Count,
    FinalResult,
    RoundResult,
    RoundSpec,
    Tie,
    ballot_problem,
    combine_rounds,
    is_valid_ballot,
    next_round_spec,
    tally_round,
    tally_totals,
)

ROUND_RESULT_KEYS = {
    "number", "candidates", "quota", "contested", "pass_basis", "roster_size", "present",
    "pass_threshold", "issued", "returned", "valid", "invalid", "returned_within_issued",
    "counts", "passed", "ranking", "chosen", "tie", "shortfall",
    # Paper ballots (issue 22): issued and returned per kind, invalid ballots per reason.
    "issued_by_kind", "returned_by_kind", "invalid_by_reason",
}  # fmt: skip


def codes(n: int) -> tuple[str, ...]:
    return tuple(f"{i:02d}" for i in range(1, n + 1))


def make_spec(**overrides: Any) -> RoundSpec:
    """A typical township round: 12 candidates for 10 slots, 60 on the roster, 57 present."""
    fields: dict[str, Any] = {
        "number": 1,
        "candidates": codes(12),
        "quota": 10,
        "contested": True,
        "roster_size": 60,
        "present": 57,
        "issued": 57,
        "pass_basis": "roster",
    }
    fields.update(overrides)
    return RoundSpec(**fields)


def ballots_for(votes: Mapping[str, int], n_ballots: int) -> list[dict[str, str]]:
    """n_ballots valid-looking ballots where each code gets exactly votes[code] 赞成.

    Each 赞成 goes to the ballots with the fewest 赞成 so far, so no ballot carries more than
    ceil(total / n_ballots) of them; every other project is marked 反对.
    """
    ballots: list[dict[str, str]] = [{} for _ in range(n_ballots)]
    approvals = [0] * n_ballots
    for code, count in votes.items():
        assert count <= n_ballots
        picks = sorted(range(n_ballots), key=lambda i: (approvals[i], i))[:count]
        for i in range(n_ballots):
            if i in picks:
                ballots[i][code] = "for"
                approvals[i] += 1
            else:
                ballots[i][code] = "against"
    return ballots


def fors(result: RoundResult) -> dict[str, int]:
    return {code: count.for_ for code, count in result.counts.items()}


# --- concrete cases ------------------------------------------------------------------------


TYPICAL_VOTES = dict(zip(codes(12), [50, 48, 46, 45, 44, 40, 39, 38, 36, 35, 33, 20], strict=True))


def test_typical_twelve_for_ten() -> None:
    spec = make_spec()
    ballots = ballots_for(TYPICAL_VOTES, 55)
    ballots.append({code: "for" for code in codes(11)})  # 11 赞成 for 10 slots: invalid
    result = tally_round(spec, ballots)

    assert result.pass_threshold == 31
    assert (result.returned, result.valid, result.invalid) == (56, 55, 1)
    assert result.invalid_by_reason == {"over_quota": 1, "unreadable": 0}
    assert result.returned_within_issued
    assert fors(result) == TYPICAL_VOTES
    assert result.passed == codes(11)
    assert result.chosen == codes(10)
    assert result.tie is None
    assert result.shortfall == 0
    assert [e.rank for e in result.ranking] == list(range(1, 12))
    assert result.counts["12"] == Count(for_=20, against=35, abstain=0)


def test_to_dict_has_exactly_the_spec_shape() -> None:
    result = tally_round(make_spec(), ballots_for(TYPICAL_VOTES, 55))
    data = result.to_dict()
    assert set(data) == ROUND_RESULT_KEYS
    assert list(data["counts"]) == list(codes(12))
    assert data["counts"]["01"] == {"for": 50, "against": 5, "abstain": 0}
    assert data["ranking"][0] == {"code": "01", "for": 50, "rank": 1}
    assert data["tie"] is None
    assert json.loads(json.dumps(data)) == data
    assert RoundResult.from_dict(data) == result


def test_three_tied_for_the_last_two_slots() -> None:
    votes = dict(TYPICAL_VOTES, **{"09": 35, "10": 35, "11": 35})
    result = tally_round(make_spec(), ballots_for(votes, 55))

    assert result.chosen == codes(8)
    assert result.tie == Tie(candidates=("09", "10", "11"), slots=2)


def test_tie_that_fits_in_the_last_slots_is_not_a_tie_break() -> None:
    votes = dict(TYPICAL_VOTES, **{"09": 35, "10": 33, "11": 35})  # 09 and 11 share slots 9-10
    result = tally_round(make_spec(), ballots_for(votes, 55))

    assert result.tie is None
    assert result.chosen == (*codes(8), "09", "11")


def test_tie_of_two_for_the_last_slot() -> None:
    votes = dict(TYPICAL_VOTES, **{"10": 33, "11": 33})
    result = tally_round(make_spec(), ballots_for(votes, 55))

    assert result.chosen == codes(9)
    assert result.tie == Tie(candidates=("10", "11"), slots=1)
    assert result.to_dict()["tie"] == {"candidates": ["10", "11"], "slots": 1}
    # Both are ranked, sharing rank 10, but neither is chosen silently.
    assert [(e.code, e.rank) for e in result.ranking[-2:]] == [("10", 10), ("11", 10)]


def test_tie_inside_the_chosen_group_is_not_a_tie_break() -> None:
    votes = dict(TYPICAL_VOTES, **{"03": 45, "04": 45})
    result = tally_round(make_spec(), ballots_for(votes, 55))

    assert result.tie is None
    assert result.chosen == codes(10)
    assert [e.rank for e in result.ranking[:5]] == [1, 2, 3, 3, 5]


def test_equal_votes_keep_ballot_order_in_ranking() -> None:
    votes = dict(TYPICAL_VOTES, **{"02": 44, "05": 48})  # 05 now outpolls 02, 03 and 04
    result = tally_round(make_spec(), ballots_for(votes, 55))
    order = [e.code for e in result.ranking]
    assert order[:5] == ["01", "05", "03", "04", "02"]
    votes = dict(TYPICAL_VOTES, **{"02": 44, "04": 44, "05": 44})
    result = tally_round(make_spec(), ballots_for(votes, 55))
    assert [(e.code, e.rank) for e in result.ranking[:5]] == [
        ("01", 1), ("03", 2), ("02", 3), ("04", 3), ("05", 3),
    ]  # fmt: skip


def test_fewer_pass_than_slots_reports_shortfall() -> None:
    votes = dict.fromkeys(codes(12), 20)
    votes.update({"02": 40, "05": 31, "07": 35})
    result = tally_round(make_spec(), ballots_for(votes, 55))

    assert result.passed == ("02", "05", "07")
    assert result.chosen == ("02", "07", "05")
    assert result.shortfall == 7
    assert result.tie is None


def test_threshold_is_exactly_more_than_half() -> None:
    votes = dict.fromkeys(codes(12), 0)
    votes.update({"01": 31, "02": 30})  # roster 60: 31 passes, 30 (exactly half) does not
    result = tally_round(make_spec(), ballots_for(votes, 55))
    assert result.passed == ("01",)
    assert make_spec(roster_size=61).pass_threshold == 31


@pytest.mark.parametrize(
    ("pass_basis", "threshold", "passed"),
    [("roster", 31, ("01",)), ("present", 21, ("01", "02"))],
)
def test_pass_basis_roster_or_present(
    pass_basis: str, threshold: int, passed: tuple[str, ...]
) -> None:
    spec = make_spec(roster_size=60, present=40, issued=40, pass_basis=pass_basis)
    votes = dict.fromkeys(codes(12), 10)
    votes.update({"01": 35, "02": 25})
    result = tally_round(spec, ballots_for(votes, 40))
    assert result.pass_threshold == threshold
    assert result.passed == passed
    assert result.to_dict()["pass_basis"] == pass_basis


def test_invalid_ballot_counts_in_returned_not_in_votes() -> None:
    spec = make_spec(candidates=codes(3), quota=2, roster_size=5, present=5, issued=5)
    ballots = [
        {"01": "for", "02": "for", "03": "against"},
        {"01": "for", "02": "for", "03": "for"},  # 3 赞成 for 2 slots
    ]
    result = tally_round(spec, ballots)

    assert (result.returned, result.valid, result.invalid) == (2, 1, 1)
    assert result.counts["03"] == Count(for_=0, against=1, abstain=0)
    assert result.counts["01"].for_ == 1


def test_ballot_problems() -> None:
    spec = make_spec(candidates=codes(3), quota=2)
    assert ballot_problem({"01": "for", "02": "for"}, spec) is None
    assert ballot_problem({}, spec) is None
    assert ballot_problem({"01": "for", "02": "for", "03": "for"}, spec) == PROBLEM_TOO_MANY_FOR
    assert ballot_problem({"04": "for"}, spec) == PROBLEM_UNKNOWN_CANDIDATE
    assert ballot_problem({"01": "yes"}, spec) == PROBLEM_UNKNOWN_CHOICE
    assert ballot_problem({"01": ["for"]}, spec) == PROBLEM_UNKNOWN_CHOICE  # type: ignore[dict-item]
    assert not is_valid_ballot({"01": "赞成"}, spec)
    # 等额: every project may be approved.
    uncontested = make_spec(candidates=codes(3), quota=3, contested=False)
    assert is_valid_ballot(dict.fromkeys(codes(3), "for"), uncontested)


def test_typed_paper_ballot_with_unknown_code_is_invalid() -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=3, present=3, issued=3)
    result = tally_round(spec, [{"01": "for"}, {"01": "for", "99": "against"}])
    assert result.invalid == 1
    assert result.counts["01"].for_ == 1


def test_returned_more_than_issued_voids_the_round() -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=3, present=3, issued=2)
    ballots = [{"01": "for"}, {"01": "for"}, {"01": "for"}]
    result = tally_round(spec, ballots)

    assert result.returned == 3
    assert not result.returned_within_issued
    assert result.counts["01"].for_ == 3  # still counted, for the record
    assert result.passed == ("01",)
    assert result.chosen == ()
    assert result.tie is None
    assert result.to_dict()["chosen"] == []
    with pytest.raises(ValueError, match="void"):
        combine_rounds(1, [result], {})


def test_returned_equal_to_issued_is_valid() -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=3, present=3, issued=2)
    result = tally_round(spec, [{"01": "for"}, {"01": "for"}])
    assert result.returned_within_issued
    assert result.chosen == ("01",)


def test_unmarked_counts_as_abstain() -> None:
    spec = make_spec(candidates=codes(3), quota=2, roster_size=5, present=5, issued=5)
    ballots = [{"01": "for"}, {"01": "for", "02": "abstain"}, {"02": "against", "03": "abstain"}]
    result = tally_round(spec, ballots)

    assert result.counts["01"] == Count(for_=2, against=0, abstain=1)
    assert result.counts["02"] == Count(for_=0, against=1, abstain=2)
    assert result.counts["03"] == Count(for_=0, against=0, abstain=3)


def test_totals_decide_like_the_ballots_they_sum() -> None:
    spec = make_spec(candidates=codes(3), quota=1, roster_size=5, present=5, issued=4)
    ballots = [{"01": "for"}, {"01": "for", "02": "against"}, {"02": "for"}, {"01": "for"}]
    from_ballots = tally_round(spec, ballots)
    from_totals = tally_totals(spec, {"01": (3, 0), "02": (1, 1), "03": (0, 0)}, returned=4)
    assert from_totals == from_ballots
    assert from_totals.chosen == ("01",)
    assert from_totals.counts["03"] == Count(for_=0, against=0, abstain=4)


@pytest.mark.parametrize("totals, returned, invalid", [
    ({"01": (3, 2), "02": (0, 0)}, 4, 0),      # more marks than ballots
    ({"01": (1, 0)}, 4, 0),                    # a project missing
    ({"01": (1, 0), "02": (0, 0), "03": (0, 0)}, 4, 0),  # a project of no round
    ({"01": (1, 0), "02": (0, 0)}, 2, 3),      # more invalid than returned
    ({"01": (-1, 0), "02": (0, 0)}, 2, 0),     # negative
])
def test_totals_that_no_ballots_can_give_are_refused(totals, returned, invalid) -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=5, present=5, issued=5)
    with pytest.raises(ValueError):
        tally_totals(spec, totals, returned, invalid)


def test_round_spec_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        make_spec(candidates=("01", "01"))
    with pytest.raises(ValueError):
        make_spec(quota=0)
    with pytest.raises(ValueError):
        make_spec(pass_basis="everyone")
    with pytest.raises(ValueError):
        make_spec(present=-1)


# --- combining rounds ----------------------------------------------------------------------


def _tied_first_round() -> tuple[RoundSpec, RoundResult]:
    spec = make_spec()
    votes = dict(TYPICAL_VOTES, **{"10": 33, "11": 33})
    return spec, tally_round(spec, ballots_for(votes, 55))


def test_tie_break_round_is_combined_into_final_result() -> None:
    spec1, round1 = _tied_first_round()
    spec2 = next_round_spec(spec1, round1, present=56, issued=56)
    assert spec2 == RoundSpec(
        number=2, candidates=("10", "11"), quota=1, contested=True,
        roster_size=60, present=56, issued=56, pass_basis="roster",
    )  # fmt: skip
    round2 = tally_round(spec2, ballots_for({"10": 20, "11": 34}, 56))
    assert round2.chosen == ("11",)

    final = combine_rounds(10, [round1, round2], {1: "tie_break"})
    assert final == FinalResult(
        chosen=(*codes(9), "11"), open_slots=0, shortfall=0, pending_tie=None
    )
    assert final.complete
    assert final.to_dict() == {
        "chosen": [*codes(9), "11"], "open_slots": 0, "shortfall": 0, "pending_tie": None,
    }  # fmt: skip


def test_tie_break_round_where_nobody_passes_is_a_shortfall() -> None:
    spec1, round1 = _tied_first_round()
    spec2 = next_round_spec(spec1, round1, present=56, issued=56)
    round2 = tally_round(spec2, ballots_for({"10": 20, "11": 25}, 56))
    final = combine_rounds(10, [round1, round2], {1: "tie_break"})
    assert final.chosen == codes(9)
    assert (final.open_slots, final.shortfall) == (0, 1)


def test_leave_empty_decision_keeps_the_slot_open() -> None:
    _, round1 = _tied_first_round()
    final = combine_rounds(10, [round1], {1: "leave_empty"})
    assert final.chosen == codes(9)
    assert final.open_slots == 1
    assert final.pending_tie is None
    with pytest.raises(ValueError):
        combine_rounds(10, [round1, round1], {1: "leave_empty"})


@pytest.mark.parametrize("decisions", [{}, {1: "tie_break"}])
def test_undecided_or_unrun_tie_is_pending(decisions: dict[int, str]) -> None:
    _, round1 = _tied_first_round()
    final = combine_rounds(10, [round1], decisions)
    assert final.pending_tie == Tie(candidates=("10", "11"), slots=1)
    assert final.open_slots == 1
    assert not final.complete
    assert FinalResult.from_dict(final.to_dict()) == final


def test_combine_rejects_a_broken_chain() -> None:
    spec1, round1 = _tied_first_round()
    spec2 = next_round_spec(spec1, round1, present=56, issued=56)
    round2 = tally_round(spec2, ballots_for({"10": 31, "11": 25}, 56))
    with pytest.raises(ValueError, match="no tie_break"):
        combine_rounds(10, [round1, round2], {})
    with pytest.raises(ValueError, match="unknown decision"):
        combine_rounds(10, [round1], {1: "coin_toss"})
    with pytest.raises(ValueError, match="without a tie"):
        combine_rounds(10, [round1, round2], {1: "tie_break", 2: "leave_empty"})
    with pytest.raises(ValueError, match="round 1"):
        combine_rounds(9, [round1], {})
    wrong = tally_round(
        RoundSpec(2, ("09", "10"), 1, True, 60, 56, 56), ballots_for({"09": 40}, 56)
    )
    with pytest.raises(ValueError, match="does not break"):
        combine_rounds(10, [round1, wrong], {1: "tie_break"})
    no_tie = tally_round(make_spec(), ballots_for(TYPICAL_VOTES, 55))
    with pytest.raises(ValueError, match="no tie"):
        next_round_spec(make_spec(), no_tie, present=56, issued=56)


def test_repeated_tie_needs_a_further_round() -> None:
    spec1 = make_spec()
    votes = dict(TYPICAL_VOTES, **{"09": 35, "10": 35, "11": 35})
    round1 = tally_round(spec1, ballots_for(votes, 55))
    assert round1.tie == Tie(candidates=("09", "10", "11"), slots=2)
    spec2 = next_round_spec(spec1, round1, present=56, issued=56)
    round2 = tally_round(spec2, ballots_for({"09": 40, "10": 35, "11": 35}, 56))
    assert round2.chosen == ("09",)
    assert round2.tie == Tie(candidates=("10", "11"), slots=1)  # tied again, for one slot
    spec3 = next_round_spec(spec2, round2, present=56, issued=56)
    assert (spec3.number, spec3.candidates, spec3.quota) == (3, ("10", "11"), 1)
    round3 = tally_round(spec3, ballots_for({"10": 33, "11": 20}, 56))
    final = combine_rounds(10, [round1, round2, round3], {1: "tie_break", 2: "tie_break"})
    assert final.chosen == (*codes(8), "09", "10")
    assert final.complete


# --- properties ----------------------------------------------------------------------------

CHOICE_VALUES = st.sampled_from(["for", "for", "against", "abstain"])


@st.composite
def rounds(draw: st.DrawFn) -> tuple[RoundSpec, list[dict[str, str]]]:
    """A small round: few voters, so passing, ties and invalid ballots are all common."""
    n = draw(st.integers(1, 7))
    candidates = codes(n)
    roster = draw(st.integers(1, 12))
    ballots = draw(
        st.lists(
            st.dictionaries(st.sampled_from(candidates), CHOICE_VALUES),
            max_size=roster + 2,
        )
    )
    spec = RoundSpec(
        number=1,
        candidates=candidates,
        quota=draw(st.integers(1, n)),
        contested=draw(st.booleans()),
        roster_size=roster,
        present=draw(st.integers(0, roster)),
        issued=draw(st.integers(max(0, len(ballots) - 1), len(ballots) + 2)),
        pass_basis=draw(st.sampled_from(["roster", "present"])),
    )
    return spec, ballots


def expected_tie(result: RoundResult) -> Tie | None:
    """The tie rule, restated independently of the implementation."""
    votes = fors(result)
    passing = [c for c in result.candidates if votes[c] >= result.pass_threshold]
    if not result.returned_within_issued or len(passing) <= result.quota:
        return None
    cutoff = sorted((votes[c] for c in passing), reverse=True)[result.quota - 1]
    above = [c for c in passing if votes[c] > cutoff]
    group = tuple(c for c in result.candidates if c in passing and votes[c] == cutoff)
    if len(above) + len(group) <= result.quota:
        return None
    return Tie(candidates=group, slots=result.quota - len(above))


def walk_types(value: object) -> set[type]:
    if isinstance(value, dict):
        return {dict} | {t for k, v in value.items() for t in walk_types(k) | walk_types(v)}
    if isinstance(value, list):
        return {list}.union(*(walk_types(v) for v in value))
    return {type(value)}


@given(rounds(), st.randoms(use_true_random=False))
def test_ballot_order_never_matters(case: tuple[RoundSpec, list[dict[str, str]]], rnd: Any) -> None:
    spec, ballots = case
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert tally_round(spec, shuffled) == tally_round(spec, ballots)


@given(rounds())
def test_cutoff_properties(case: tuple[RoundSpec, list[dict[str, str]]]) -> None:
    spec, ballots = case
    result = tally_round(spec, ballots)
    votes = fors(result)
    assert len(result.chosen) <= spec.quota
    assert len(set(result.chosen)) == len(result.chosen)
    assert set(result.chosen) <= set(result.passed)
    assert all(votes[c] >= result.pass_threshold for c in result.passed)
    assert all(votes[c] < result.pass_threshold for c in spec.candidates if c not in result.passed)
    lowest_chosen = min((votes[c] for c in result.chosen), default=None)
    if lowest_chosen is not None:
        assert all(votes[c] <= lowest_chosen for c in result.passed if c not in result.chosen)
    if result.tie is not None:
        # Nobody tied is chosen, and the tie accounts exactly for the unfilled slots.
        assert not set(result.tie.candidates) & set(result.chosen)
        assert len(result.chosen) + result.tie.slots == spec.quota
        assert len(result.tie.candidates) > result.tie.slots >= 1
    elif result.returned_within_issued:
        assert len(result.chosen) + result.shortfall == spec.quota
    assert result.shortfall == (
        max(0, spec.quota - len(result.passed)) if result.returned_within_issued else 0
    )


@given(rounds())
def test_tie_across_cutoff_always_named(case: tuple[RoundSpec, list[dict[str, str]]]) -> None:
    spec, ballots = case
    result = tally_round(spec, ballots)
    assert result.tie == expected_tie(result)


@given(rounds())
def test_counts_add_up(case: tuple[RoundSpec, list[dict[str, str]]]) -> None:
    spec, ballots = case
    result = tally_round(spec, ballots)
    assert result.returned == len(ballots)
    assert result.invalid == sum(1 for b in ballots if ballot_problem(b, spec) is not None)
    assert result.valid + result.invalid == result.returned
    assert result.returned_within_issued == (len(ballots) <= spec.issued)
    for count in result.counts.values():
        assert count.for_ + count.against + count.abstain == result.valid


@given(rounds())
def test_ranking_is_standard_competition_ranking(
    case: tuple[RoundSpec, list[dict[str, str]]],
) -> None:
    spec, ballots = case
    result = tally_round(spec, ballots)
    assert sorted(e.code for e in result.ranking) == sorted(result.passed)
    for entry in result.ranking:
        assert entry.for_ == result.counts[entry.code].for_
        assert entry.rank == 1 + sum(1 for e in result.ranking if e.for_ > entry.for_)
    ballot_index = {c: i for i, c in enumerate(spec.candidates)}
    keys = [(-e.for_, ballot_index[e.code]) for e in result.ranking]
    assert keys == sorted(keys)


@given(rounds())
def test_round_result_round_trips(case: tuple[RoundSpec, list[dict[str, str]]]) -> None:
    spec, ballots = case
    result = tally_round(spec, ballots)
    data = result.to_dict()
    assert set(data) == ROUND_RESULT_KEYS
    assert walk_types(data) <= {dict, list, str, int, bool, type(None)}
    assert RoundResult.from_dict(json.loads(json.dumps(data))) == result


def _run_chain(
    first: tuple[RoundSpec, list[dict[str, str]]],
    later_ballots: Sequence[list[list[int]]],
    final_decision: str | None,
) -> tuple[list[RoundResult], dict[int, str]]:
    spec, ballots = first
    results = [tally_round(spec, ballots)]
    decisions: dict[int, str] = {}
    for more in later_ballots:
        if results[-1].tie is None:
            break
        decisions[spec.number] = "tie_break"
        spec = next_round_spec(spec, results[-1], present=spec.present, issued=spec.issued)
        ballots = [
            {c: "for" for c, mark in zip(spec.candidates, row, strict=False) if mark}
            for row in more
        ][: spec.issued]
        results.append(tally_round(spec, ballots))
    if results[-1].tie is not None and final_decision is not None:
        decisions[spec.number] = final_decision
    return results, decisions


@settings(max_examples=200)
@given(
    rounds(),
    st.lists(st.lists(st.lists(st.integers(0, 1), max_size=7), max_size=12), max_size=3),
    st.sampled_from([None, "tie_break", "leave_empty"]),
)
def test_final_result_accounts_for_every_slot(
    first: tuple[RoundSpec, list[dict[str, str]]],
    later: list[list[list[int]]],
    final_decision: str | None,
) -> None:
    results, decisions = _run_chain(first, later, final_decision)
    if not all(r.returned_within_issued for r in results):
        with pytest.raises(ValueError):
            combine_rounds(first[0].quota, results, decisions)
        return
    final = combine_rounds(first[0].quota, results, decisions)
    assert len(final.chosen) + final.open_slots + final.shortfall == first[0].quota
    assert len(set(final.chosen)) == len(final.chosen)
    assert final.chosen[: len(results[0].chosen)] == results[0].chosen
    assert final.complete == (
        results[-1].tie is None or decisions.get(results[-1].number) == "leave_empty"
    )
    assert FinalResult.from_dict(json.loads(json.dumps(final.to_dict()))) == final


def test_combine_compares_tie_break_candidates_in_ballot_order() -> None:
    """Issue 17.9: the tie-break round lists the tied projects in ballot order, not as a set."""
    spec1, round1 = _tied_first_round()
    spec2 = next_round_spec(spec1, round1, present=56, issued=56)
    swapped = dataclasses.replace(spec2, candidates=("11", "10"))
    round2 = tally_round(swapped, ballots_for({"10": 20, "11": 34}, 56))
    with pytest.raises(ValueError, match="does not break"):
        combine_rounds(10, [round1, round2], {1: "tie_break"})


# --- paper ballots: issued and returned per kind, invalid per reason (issue 22) --------------


def test_mixed_round_counts_per_kind_and_reason() -> None:
    spec = make_spec(candidates=codes(3), quota=2, roster_size=9, present=9, issued=8,
                     issued_paper=4)
    kiosk = [{"01": "for", "02": "for"}, {"01": "for"}, {"03": "against"}, {}]
    paper = [
        {"01": "for", "02": "against"},
        {"01": "for", "02": "for", "03": "for"},  # 3 赞成 for 2 slots: 超过应选数
        None,  # 无法辨认
    ]
    result = tally_round(spec, kiosk, paper)

    assert (result.returned, result.valid, result.invalid) == (7, 5, 2)
    assert result.issued_by_kind == {"kiosk": 4, "paper": 4}
    assert result.returned_by_kind == {"kiosk": 4, "paper": 3}
    assert result.invalid_by_reason == {"over_quota": 1, "unreadable": 1}
    assert result.counts["01"] == Count(for_=3, against=0, abstain=2)
    assert result.counts["02"] == Count(for_=1, against=1, abstain=3)
    assert result.returned_within_issued
    data = result.to_dict()
    assert data["issued_by_kind"] == {"kiosk": 4, "paper": 4}
    assert data["returned_by_kind"] == {"kiosk": 4, "paper": 3}
    assert data["invalid_by_reason"] == {"over_quota": 1, "unreadable": 1}
    assert RoundResult.from_dict(json.loads(json.dumps(data))) == result


def test_more_paper_returned_than_paper_issued_voids_the_round() -> None:
    # 3 issued (2 kiosk, 1 paper), 2 returned in all: within the total, but 2 paper ballots
    # came back for the 1 handed out. Stuffed: the round decides nothing.
    spec = make_spec(candidates=codes(2), quota=1, roster_size=3, present=3, issued=3,
                     issued_paper=1)
    result = tally_round(spec, [], [{"01": "for"}, {"01": "for"}])
    assert result.returned == 2 <= result.issued
    assert not result.returned_within_issued
    assert result.chosen == ()
    assert result.to_dict()["returned_within_issued"] is False


def test_older_documents_read_as_kiosk_only() -> None:
    data = tally_round(make_spec(), ballots_for(TYPICAL_VOTES, 55)).to_dict()
    for key in ("issued_by_kind", "returned_by_kind", "invalid_by_reason"):
        del data[key]
    result = RoundResult.from_dict(data)
    assert result.issued_by_kind == {"kiosk": 57, "paper": 0}
    assert result.returned_by_kind == {"kiosk": 55, "paper": 0}
    assert result.invalid_by_reason == {"over_quota": 0, "unreadable": 0}


@pytest.mark.parametrize("returned_by_kind, invalid_by_reason", [
    ({"kiosk": 3, "paper": 0}, None),                       # adds up to 3, not 4
    ({"kiosk": 4}, None),                                   # a kind missing
    ({"kiosk": 2, "paper": 2, "post": 0}, None),            # a kind of no ballot
    ({"kiosk": 5, "paper": -1}, None),                      # negative
    ({"kiosk": 2, "paper": 2}, {"over_quota": 2, "unreadable": 0}),  # reasons add to 2, not 1
    ({"kiosk": 2, "paper": 2}, {"over_quota": 1}),          # a reason missing
])
def test_per_kind_figures_that_do_not_add_up_are_refused(returned_by_kind,
                                                         invalid_by_reason) -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=5, present=5, issued=5,
                     issued_paper=2)
    invalid = 1 if invalid_by_reason is not None else 0
    with pytest.raises(ValueError):
        tally_totals(spec, {"01": (1, 0), "02": (0, 0)}, 4, invalid,
                     returned_by_kind=returned_by_kind, invalid_by_reason=invalid_by_reason)


def test_invalid_ballots_need_a_reason_and_paper_issued_fits_issued() -> None:
    spec = make_spec(candidates=codes(2), quota=1, roster_size=5, present=5, issued=5)
    with pytest.raises(ValueError, match="reasons"):
        tally_totals(spec, {"01": (1, 0), "02": (0, 0)}, 3, 1)
    with pytest.raises(ValueError):
        make_spec(issued=2, issued_paper=3)


@given(
    issued_kiosk=st.integers(0, 6), issued_paper=st.integers(0, 6),
    returned_kiosk=st.integers(0, 8), paper_marks=st.lists(
        st.one_of(st.none(), st.sampled_from(["for", "against", "abstain"])), max_size=8),
)
def test_per_kind_void_is_always_detected(issued_kiosk: int, issued_paper: int,
                                          returned_kiosk: int, paper_marks: list) -> None:
    spec = make_spec(candidates=codes(1), quota=1, roster_size=20, present=20,
                     issued=issued_kiosk + issued_paper, issued_paper=issued_paper)
    kiosk = [{"01": "for"}] * returned_kiosk
    paper = [None if mark is None else {"01": mark} for mark in paper_marks]
    result = tally_round(spec, kiosk, paper)
    expected = returned_kiosk <= issued_kiosk and len(paper) <= issued_paper
    assert result.returned_within_issued is expected
    assert result.returned_by_kind == {"kiosk": returned_kiosk, "paper": len(paper)}
    assert result.invalid_by_reason["unreadable"] == paper_marks.count(None)
    if not expected:
        assert result.chosen == () and result.tie is None
