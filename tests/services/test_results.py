"""The count under the session's rules, tie decisions, confirmations and publication.

The helpers here drive a real session through lock → check-in → voting with the services, and
put ballots on the board the way the voting service does (issue mark + signed entry); other
result/export/chair tests import them.
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from ballot import crypto, merkle
from ballot.domain import tally
from ballot.domain.errors import InvalidInput, NoPendingTie, NotReady, PermissionDenied
from ballot.models import AuditEntry, BoardEntry
from ballot.services import keys, results, rounds
from tests.conftest import make_user
from tests.crypto.bundle_builder import ballots_with
from tests.factories import (
    FORS_12,
    chief,
    codes,
    published_session,
    ready_session,
    recount_from_board,
    tied_round1,
    vote,
)

# --- counting ---------------------------------------------------------------------------------


def test_normal_round_chooses_the_top_ten(db):
    session = ready_session(present=57)
    fors = [50, 48, 47, 45, 44, 42, 40, 38, 36, 33, 31, 20]
    ballots = ballots_with(random.Random(3), codes(12), dict(zip(codes(12), fors, strict=True)),
                           57, 10)
    result = vote(session, ballots)
    assert result.pass_threshold == 31 and result.present == 57 and result.issued == 57
    assert result.returned == result.valid == 57 and result.invalid == 0
    assert result.passed == tuple(codes(11))
    assert result.chosen == tuple(codes(10)) and result.tie is None
    stored = rounds.get_round(session, 1)
    assert stored.result == result.to_dict()
    assert stored.merkle_root == merkle.round_root(
        [e.entry_hash for e in db.session.query(BoardEntry).filter_by(session_id=session.id)])
    found = rounds.session_results(session)
    assert found.ready and found.final.chosen == tuple(codes(10))
    assert rounds.pending_tie(session) is None


def test_tie_at_cutoff_then_tie_break_round_gives_the_combined_result(db):
    session = ready_session(present=57)
    first = vote(session, tied_round1())
    assert first.invalid == 0 and first.valid == 57
    assert first.chosen == tuple(codes(8))
    assert first.tie == tally.Tie(("09", "10", "11"), 2)
    assert rounds.pending_tie(session) == first.tie
    assert session.state == "closed"

    round2 = rounds.start_tie_break(session, "chair")
    db.session.commit()
    assert (round2.number, round2.quota, list(round2.candidates)) == (2, 2, ["09", "10", "11"])
    assert rounds.get_round(session, 1).decision == "tie_break"
    assert session.state == "voting"
    assert rounds.pending_tie(session) == first.tie  # until round 2 is counted

    second = vote(session, ballots_with(random.Random(5), ["09", "10", "11"],
                                        {"09": 40, "10": 30, "11": 38}, 56, 2))
    assert second.chosen == ("09", "11")
    final = rounds.session_results(session).final
    assert final.chosen == (*codes(8), "09", "11")
    assert final.open_slots == 0 and final.pending_tie is None
    actions = [a for (a,) in db.session.query(AuditEntry.action)]
    assert "round.tie_break" in actions


def test_leave_empty_keeps_the_slots_open_and_is_audited(db):
    session = ready_session()
    vote(session, tied_round1())
    with pytest.raises(InvalidInput, match="理由"):
        rounds.leave_empty(session, "chair", "  ")
    rounds.leave_empty(session, "chair", "主席团决定：同票项目明年再议")
    db.session.commit()
    final = rounds.session_results(session).final
    assert final.chosen == tuple(codes(8)) and final.open_slots == 2 and final.pending_tie is None
    entry = db.session.query(AuditEntry).filter_by(action="round.leave_empty").one()
    assert entry.detail["reason"] == "主席团决定：同票项目明年再议"
    assert entry.detail["slots"] == 2
    with pytest.raises(NoPendingTie):
        rounds.start_tie_break(session, "chair")


def test_shortfall_when_fewer_than_quota_pass(db):
    session = ready_session(present=40)
    fors = [39, 38, 35, 34, 33, 31, 30, 29, 10, 5, 5, 2]
    ballots = ballots_with(random.Random(4), codes(12), dict(zip(codes(12), fors, strict=True)),
                           40, 10)
    result = vote(session, ballots)
    assert result.pass_threshold == 31  # more than half of the roster of 60, not of 40 present
    assert result.chosen == tuple(codes(6)) and result.shortfall == 4
    final = rounds.session_results(session).final
    assert (len(final.chosen), final.open_slots, final.shortfall) == (6, 0, 4)


def test_pass_basis_present_uses_those_present(db):
    session = ready_session(present=40, pass_basis="present")
    fors = [39, 38, 35, 34, 33, 31, 30, 29, 21, 20, 5, 2]
    ballots = ballots_with(random.Random(4), codes(12), dict(zip(codes(12), fors, strict=True)),
                           40, 10)
    result = vote(session, ballots)
    assert result.pass_threshold == 21 and result.chosen == tuple(codes(9))


def test_more_returned_than_issued_voids_the_round(db):
    session = ready_session()
    ballots = ballots_with(random.Random(2), codes(12), dict(zip(codes(12), FORS_12, strict=True)),
                           50, 10)
    result = vote(session, ballots, issued=49)
    assert not result.returned_within_issued and result.chosen == ()
    found = rounds.session_results(session)
    assert found.final is None and found.void_round == 1 and not found.ready


# --- confirmation and publication -------------------------------------------------------------


def test_publish_refused_lists_every_problem(db):
    session = ready_session()
    vote(session, tied_round1())
    with pytest.raises(NotReady) as refused:
        results.publish(session, "chair")
    assert {p.code for p in refused.value.problems} == {
        "tie_pending", "scrutineer_not_confirmed", "chair_not_confirmed"}
    with pytest.raises(NotReady) as early:
        results.confirm_as_scrutineer(session, chief())
    assert [p.code for p in early.value.problems] == ["tie_pending"]


def test_publish_before_any_count_reports_no_result(db):
    session = ready_session()
    with pytest.raises(NotReady) as refused:
        results.publish(session, "chair")
    assert [p.code for p in refused.value.problems] == ["illegal_transition"]
    rounds.open_voting(session, "chair")
    db.session.commit()
    with pytest.raises(NotReady) as still_voting:
        results.publish(session, "chair")
    assert [p.code for p in still_voting.value.problems] == ["illegal_transition"]


def test_only_a_scrutineer_confirms_the_count_and_chair_waits_for_them(db):
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [50] * 10 + [3, 2], strict=True)), 57, 10))
    with pytest.raises(PermissionDenied):
        results.confirm_as_scrutineer(session, make_user("boss", "admin"))
    with pytest.raises(NotReady) as refused:
        results.confirm_as_chair(session, make_user("chairman", "chair"))
    assert [p.code for p in refused.value.problems] == ["scrutineer_not_confirmed"]
    results.confirm_as_scrutineer(session, chief())
    assert session.scrutineer_confirmed_by == "陈立"


def test_only_the_sessions_named_chief_scrutineer_confirms(db):
    # Issue 17, item 12: any scrutineer account could confirm the count.
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [50] * 10 + [3, 2], strict=True)), 57, 10))
    with pytest.raises(PermissionDenied) as refused:
        results.confirm_as_scrutineer(session, chief("赵敏", "zhao"))  # a scrutineer, not chief
    assert "陈立" in refused.value.render() and "赵敏" in refused.value.render()
    with pytest.raises(PermissionDenied):
        results.confirm_as_scrutineer(session, make_user("nameless", "scrutineer"))
    other = chief("陈立", "chen-elsewhere")
    other.congress = "另一镇人大"
    with pytest.raises(PermissionDenied):
        results.confirm_as_scrutineer(session, other)  # the same name in another congress
    assert session.scrutineer_confirmed_by is None
    session.chief_scrutineer = " "
    with pytest.raises(InvalidInput) as unregistered:
        results.confirm_as_scrutineer(session, chief())
    assert "尚未登记总监票人" in unregistered.value.render()
    session.chief_scrutineer = "陈 立"
    results.confirm_as_scrutineer(session, chief("陈立", "chen"))  # spacing aside, the same name
    assert session.scrutineer_confirmed_by == "陈 立"
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "result.scrutineer_confirmed")).scalar_one()
    assert (entry.actor, entry.detail["name"]) == ("chen", "陈 立")


def test_published_counts_equal_an_independent_count_of_the_board(db):
    session = published_session(db)  # two rounds: a tie, then its tie-break
    assert session.state == "published"

    document = json.loads(session.result_document)
    assert crypto.verify_signature(keys.public_key(session), session.result_document,
                                   session.result_signature)
    assert crypto.canonical_json(document) == session.result_document
    independent = recount_from_board(session)
    for rnd in document["rounds"]:
        for code, count in independent[rnd["number"]].items():
            published = rnd["counts"][code]
            assert (published["for"], published["against"], published["abstain"]) == (
                count["for"], count["against"], count["abstain"]), (rnd["number"], code)
        assert rnd["returned"] == rnd["entry_count"] == db.session.query(BoardEntry).filter_by(
            session_id=session.id, round_number=rnd["number"]).count()
        assert rnd["issued"] == rounds.issued_count(session, rnd["number"])
    assert document["chosen"] == [*codes(8), "09", "11"]
    assert document["rounds"][0]["decision"] == "tie_break"
    assert document["confirmed_by"] == {"chief_scrutineer": "陈立", "chair": "chairman"}
    assert document["roster_size"] == 60 and document["present"] == 57
    assert document["candidates"][0] == {"code": "01", "title": "民生项目1",
                                         "department": "镇政府", "budget": "100"}
    assert document["rules"]["min_excess_ratio"] == "0.20"
    text = results.announcement(session, document)
    assert text.startswith("本次会议应到代表60名，实到57名，发出选票57张，收回57张，有效票57张，无效票0张。")
    assert "下列10个项目确定为2027年度民生实事项目：1. 民生项目1；" in text
    assert "再次投票（第2轮）" in text


def test_announcement_reports_open_slots_and_shortfall(db):
    session = ready_session(present=40)
    fors = [39, 38, 35, 34, 33, 31, 31, 31, 10, 5, 5, 2]
    vote(session, ballots_with(random.Random(9), codes(12),
                               dict(zip(codes(12), fors, strict=True)), 40, 10))
    document = results.result_document(session, rounds.session_results(session))
    text = results.announcement(session, document)
    assert "下列8个项目" in text and "尚缺2个" in text
