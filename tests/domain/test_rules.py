"""Pure rules: excess ratio, quorum, pass threshold, readiness."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ballot.domain import rules
from ballot.domain.rules import SessionFacts, problems_before


def facts(**overrides) -> SessionFacts:
    values = dict(state="draft", quota=10, contested=True, min_excess_ratio=Decimal("0.20"),
                  candidate_count=12, delegate_count=60, present_count=0, has_key=False)
    values.update(overrides)
    return SessionFacts(**values)


def test_common_slates():
    assert rules.required_candidates(10, Decimal("0.20"), True) == 12
    assert rules.required_candidates(12, "0.2", True) == 15
    assert rules.required_candidates(10, "0.20", False) == 10
    assert rules.required_candidates(294, "0.18", True) == 347  # 294 × 1.18 = 346.92


def test_ratio_display():
    assert rules.format_ratio(rules.excess_ratio(12, 10)) == "20%"
    assert rules.format_ratio(rules.excess_ratio(361, 294)) == "22.79%"
    assert rules.format_ratio(rules.excess_ratio(10, 10)) == "0%"
    assert rules.format_ratio(Decimal("0.125")) == "12.5%"


@given(st.integers(1, 600), st.integers(0, 100))
def test_required_is_the_smallest_list_meeting_the_ratio(quota, percent):
    ratio = Decimal(percent) / 100
    required = rules.required_candidates(quota, ratio, True)
    assert rules.excess_ratio(required, quota) >= Fraction(percent, 100)
    assert rules.excess_ratio(required - 1, quota) < Fraction(percent, 100)


@given(st.integers(1, 3000), st.data())
def test_quorum_is_more_than_half(expected, data):
    present = data.draw(st.integers(0, expected))
    assert rules.quorum_met(expected, present) == (present * 2 > expected)
    assert rules.quorum_met(expected, rules.quorum_needed(expected))
    assert not rules.quorum_met(expected, rules.quorum_needed(expected) - 1)


def test_pass_threshold_bases():
    assert rules.pass_threshold(60, 57, "roster") == 31
    assert rules.pass_threshold(61, 57, "roster") == 31
    assert rules.pass_threshold(60, 57, "present") == 29


def test_eleven_candidates_for_ten_slots_cannot_lock_and_says_one_more():
    problems = problems_before("locked", facts(candidate_count=11))
    assert [p.code for p in problems] == ["candidate_list_too_short"]
    assert problems[0].params["missing"] == 1
    text = problems[0].render()
    assert "还需至少 1 个" in text and "20%" in text


def test_twelve_for_ten_locks():
    assert problems_before("locked", facts()) == []


def test_uncontested_needs_exactly_quota():
    assert problems_before("locked", facts(contested=False, candidate_count=10)) == []
    codes = [p.code for p in problems_before("locked", facts(contested=False, candidate_count=12))]
    assert codes == ["uncontested_count_mismatch"]


def test_readiness_lists_every_problem_not_just_the_first():
    problems = problems_before("checkin", facts(state="locked", delegate_count=0, has_key=False))
    assert {p.code for p in problems} == {"roster_empty", "no_session_key"}
    problems = problems_before("published", facts(state="closed", pending_tie=True))
    assert {p.code for p in problems} == {"tie_pending", "no_result", "scrutineer_not_confirmed",
                                          "chair_not_confirmed"}


def test_voting_needs_quorum():
    refused = problems_before("voting", facts(state="checkin", has_key=True, box_sealed=True,
                                              present_count=30))
    assert [p.code for p in refused] == ["quorum_not_met"]
    assert refused[0].params == {"expected": 60, "present": 30, "needed": 31}
    assert problems_before("voting", facts(state="checkin", has_key=True, box_sealed=True,
                                           present_count=31)) == []


def test_voting_needs_a_sealed_box():
    refused = problems_before("voting", facts(state="checkin", has_key=True, present_count=30))
    assert [p.code for p in refused] == ["quorum_not_met", "box_not_sealed"]
    assert "投票箱尚未封箱" in refused[1].render()
    # A tie-break round reuses the box sealed before round 1.
    assert [p.code for p in problems_before("voting", facts(state="closed", pending_tie=True))] \
        == []


@given(st.sampled_from(rules.STATES), st.sampled_from(rules.STATES))
def test_illegal_transitions_are_refused(source, target):
    problems = problems_before(target, facts(state=source, has_key=True, present_count=60,
                                             pending_tie=True, result_ready=True,
                                             chief_scrutineer_confirmed=True, chair_confirmed=True))
    if (source, target) not in rules.TRANSITIONS:
        assert [p.code for p in problems] == ["illegal_transition"]
    else:
        assert all(p.code != "illegal_transition" for p in problems)
