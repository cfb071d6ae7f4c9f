"""Opening and closing rounds, tie-break rounds, issued/returned counts, and the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ballot import merkle
from ballot.domain.errors import BallotTokenInvalid, InvalidInput, NotReady, WrongState
from ballot.models import BallotToken, BoardEntry, Round
from ballot.services import rounds, voting
from tests.conftest import make_user
from tests.factories import cast, issue, session_delegates, ten_for, voting_session


def test_open_needs_a_quorum(db):
    session, _ = voting_session(delegates=20, present=10, open_round=False)
    with pytest.raises(NotReady) as caught:
        rounds.open_voting(session, "chair")
    assert [p.code for p in caught.value.problems] == ["quorum_not_met"]
    db.session.rollback()
    assert rounds.current_round(session) is None


def test_open_creates_round_one_over_every_candidate(db):
    session, _ = voting_session(delegates=20, present=11)
    round_ = rounds.current_round(session)
    assert session.state == "voting"
    assert (round_.number, round_.quota, round_.present, round_.state) == (1, 10, 11, "open")
    assert round_.candidates == [f"{i:02d}" for i in range(1, 13)]
    assert rounds.get_round(session, 1) is round_
    with pytest.raises(NotReady):
        rounds.open_voting(session, "chair")


def test_close_voids_tokens_and_commits_to_the_entries(db):
    session, kiosk = voting_session()
    people = session_delegates(session)
    for delegate in people[:5]:
        token, _ = issue(session, kiosk, delegate)
        cast(session, kiosk, token, ten_for())
    open_token, _ = issue(session, kiosk, people[7])
    assert (rounds.issued_count(session, 1), rounds.returned_count(session, 1)) == (6, 5)
    assert rounds.issued_names(session, 1) == ["代表1", "代表2", "代表3", "代表4", "代表5", "代表8"]

    round_ = rounds.close_round(session, "chair")
    db.session.commit()
    hashes = db.session.execute(select(BoardEntry.entry_hash)).scalars().all()
    assert round_.state == "closed" and session.state == "closed"
    assert round_.merkle_root == merkle.round_root(hashes)
    assert db.session.execute(
        select(BallotToken.state).where(BallotToken.state == "open")).first() is None
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, open_token, ten_for())
    db.session.rollback()
    assert rounds.returned_count(session, 1) == 5
    with pytest.raises(WrongState):
        rounds.close_round(session, "chair")


def test_tie_break_round(db):
    session, kiosk = voting_session()
    delegate = session_delegates(session)[0]
    token, _ = issue(session, kiosk, delegate)
    cast(session, kiosk, token, ten_for())
    with pytest.raises(WrongState):
        rounds.create_tie_break_round(session, ["09", "10"], 1, "chair")
    db.session.rollback()
    rounds.close_round(session, "chair")
    db.session.commit()
    with pytest.raises(InvalidInput):
        rounds.create_tie_break_round(session, ["09", "99"], 1, "chair")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        rounds.create_tie_break_round(session, ["09", "10"], 2, "chair")
    db.session.rollback()
    second = rounds.create_tie_break_round(session, ["11", "09", "10"], 1, "chair")
    db.session.commit()
    assert (second.number, second.quota, second.candidates) == (2, 1, ["09", "10", "11"])
    assert rounds.get_round(session, 1).decision == "tie_break"
    assert rounds.current_round(session).number == 2 and session.state == "voting"
    token, view = issue(session, kiosk, delegate)
    assert [c["code"] for c in view["candidates"]] == ["09", "10", "11"] and view["quota"] == 1
    receipt = cast(session, kiosk, token, {"09": "for", "10": "against"})
    assert receipt.round_number == 2
    assert (rounds.issued_count(session, 2), rounds.returned_count(session, 1)) == (1, 1)
    assert len(db.session.execute(select(Round)).scalars().all()) == 2


def test_cli_open_simulate_close(app, db):
    session, _ = voting_session(delegates=30, present=0, open_round=False)
    make_user("chair", "chair")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["open", session.slug, "--as", "chair"])
    assert result.exit_code == 1 and "未达到法定人数" in result.output
    result = runner.invoke(args=["simulate", session.slug, "--turnout", "0.8", "--seed", "7",
                                 "--real", "--keep-open"])
    assert result.exit_code == 0, result.output
    assert "已投 24 张" in result.output
    db.session.expire_all()
    assert rounds.returned_count(session, 1) == rounds.issued_count(session, 1) == 24
    result = runner.invoke(args=["close", session.slug, "--as", "chair"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert rounds.get_round(session, 1).merkle_root in result.output
