"""Issuing, casting, returning and releasing ballots (DESIGN §3)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ballot import crypto
from ballot.ballotbox import proofs
from ballot.domain.errors import (
    AlreadyIssued,
    BallotTokenInvalid,
    InvalidBallot,
    InvalidInput,
    KioskNotForVoting,
    NotCheckedIn,
    NotIssuedHere,
    TooManyApprovals,
    VotingNotOpen,
)
from ballot.models import AuditEntry, BallotIssue, BallotToken, BoardEntry
from ballot.services import box, keys, rounds, voting
from tests.factories import add_kiosk, card, cast, issue, session_delegates, ten_for, voting_session


def test_issue_and_cast_records_one_signed_entry(db):
    session, kiosk = voting_session()
    delegate = session_delegates(session)[0]
    token, view = issue(session, kiosk, delegate)
    assert len(token) == 32
    assert view["quota"] == 10 and [c["code"] for c in view["candidates"]][:2] == ["01", "02"]
    assert view["candidates"][0]["title"] == "民生项目1" and view["candidates"][0]["budget"] == "100"
    stored = db.session.execute(select(BallotToken)).scalar_one()
    assert stored.token_hash == crypto.token_hash(token) and stored.state == "open"
    assert stored.kiosk_id == kiosk.id
    issue_row = db.session.execute(select(BallotIssue)).scalar_one()
    assert (issue_row.delegate_id, issue_row.kiosk_id, issue_row.round_number) == (
        delegate.id, kiosk.id, 1)

    receipt = cast(session, kiosk, token, ten_for())
    entry = db.session.execute(select(BoardEntry)).scalar_one()
    assert entry.ballot_id == crypto.ballot_id_from_token(token)
    assert receipt.tracking_code == crypto.tracking_code(entry.entry_hash)
    payload = json.loads(entry.payload)
    assert set(payload) == {"ballot_id", "round", "ballot"}
    assert (payload["ballot_id"], payload["round"]) == (entry.ballot_id, 1)
    # Stored only as ciphertexts whose proofs hold for this ballot id, round and session.
    round_ = rounds.get_round(session, 1)
    proofs.verify_ballot(box.box_key(session).public_key, payload["ballot"], 12, 10,
                         proofs.ballot_context(session.key_fingerprint, 1, entry.ballot_id))
    assert "for" not in json.dumps(payload).replace('"for":', "")
    assert round_.box_products is None
    assert crypto.canonical_json(payload).decode() == entry.payload
    assert crypto.verify_signature(keys.public_key(session), entry.payload.encode(),
                                   crypto.decode_signature(entry.signature))
    assert db.session.get(BallotToken, stored.token_hash).state == "used"


def test_one_issue_per_delegate_per_round(db):
    session, kiosk = voting_session()
    delegate = session_delegates(session)[0]
    issue(session, kiosk, delegate)
    with pytest.raises(AlreadyIssued) as caught:
        voting.issue_ballot(session, add_kiosk(session, "投票机2"), card(session, delegate))
    assert "代表1" in caught.value.render()
    db.session.rollback()
    assert db.session.execute(select(BallotIssue)).scalars().all() != []
    assert len(db.session.execute(select(BallotIssue)).scalars().all()) == 1


def test_absent_delegate_gets_no_ballot(db):
    session, kiosk = voting_session(present=15)
    absent = session_delegates(session)[-1]
    with pytest.raises(NotCheckedIn):
        voting.issue_ballot(session, kiosk, card(session, absent))


def test_no_ballot_before_voting_opens_or_at_a_checkin_kiosk(db):
    session, kiosk = voting_session(open_round=False)
    delegate = session_delegates(session)[0]
    with pytest.raises(VotingNotOpen):
        voting.issue_ballot(session, kiosk, card(session, delegate))
    db.session.rollback()
    rounds.open_voting(session, "chair")
    checkin_kiosk = add_kiosk(session, "签到机", mode="checkin")
    db.session.commit()
    with pytest.raises(KioskNotForVoting):
        voting.issue_ballot(session, checkin_kiosk, card(session, delegate))


def test_too_many_approvals_refused_with_reason_and_token_kept(db):
    session, kiosk = voting_session()
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    eleven = {f"{i:02d}": "for" for i in range(1, 12)}
    with pytest.raises(TooManyApprovals) as caught:
        voting.cast_ballot(session, kiosk, token, eleven)
    assert "应选数 10" in caught.value.render() and "选了 11" in caught.value.render()
    db.session.rollback()
    with pytest.raises(InvalidBallot):
        voting.cast_ballot(session, kiosk, token, {"99": "for"})
    db.session.rollback()
    with pytest.raises(InvalidBallot):
        voting.cast_ballot(session, kiosk, token, {"01": "yes"})
    db.session.rollback()
    assert cast(session, kiosk, token, ten_for()).tracking_code


def test_uncontested_allows_approving_every_project(db):
    session, kiosk = voting_session(candidates=10, contested=False)
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    receipt = cast(session, kiosk, token, {f"{i:02d}": "for" for i in range(1, 11)})
    assert receipt.round_number == 1


def test_a_retry_gets_the_recorded_receipt_and_records_nothing(db):
    session, kiosk = voting_session()
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    first = cast(session, kiosk, token, ten_for())
    assert cast(session, kiosk, token, ten_for()) == first
    # A used token cannot record another ballot: a second submission, whatever it says, is
    # answered with the receipt of the ballot on the board (no choices are kept to compare).
    assert cast(session, kiosk, token, {"01": "against"}) == first
    assert len(db.session.execute(select(BoardEntry)).scalars().all()) == 1


def test_new_issue_voids_the_kiosks_open_token(db):
    session, kiosk = voting_session()
    first, second = session_delegates(session)[:2]
    old_token, _ = issue(session, kiosk, first)
    new_token, _ = issue(session, kiosk, second)
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, old_token, ten_for())
    db.session.rollback()
    states = sorted(t.state for t in db.session.execute(select(BallotToken)).scalars())
    assert states == ["open", "voided"]
    assert cast(session, kiosk, new_token, ten_for()).tracking_code


def test_token_is_bound_to_its_kiosk(db):
    session, kiosk = voting_session()
    other = add_kiosk(session, "投票机2")
    db.session.commit()
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, other, token, ten_for())
    db.session.rollback()
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, b"x" * 32, ten_for())


def test_walk_away_returns_the_token_and_clears_the_issue(db):
    session, kiosk = voting_session()
    first, second = session_delegates(session)[:2]
    first_card = card(session, first)
    token, _ = voting.issue_ballot(session, kiosk, first_card)
    db.session.commit()
    with pytest.raises(NotIssuedHere):
        voting.return_token(session, kiosk, token, card(session, second))
    db.session.rollback()
    voting.return_token(session, kiosk, token, first_card)
    db.session.commit()
    assert db.session.execute(select(BallotIssue)).first() is None
    assert db.session.get(BallotToken, crypto.token_hash(token)).state == "voided"
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, token, ten_for())
    db.session.rollback()
    token2, _ = voting.issue_ballot(session, kiosk, first_card)
    db.session.commit()
    assert cast(session, kiosk, token2, ten_for()).tracking_code


def test_staff_release_is_audited_without_ballot_details(db):
    session, kiosk = voting_session()
    delegate = session_delegates(session)[0]
    token, _ = issue(session, kiosk, delegate)
    with pytest.raises(InvalidInput):
        voting.release_delegate(session, delegate, "staff", "  ")
    db.session.rollback()
    voting.release_delegate(session, delegate, "staff", "投票机故障")
    db.session.commit()
    assert db.session.get(BallotToken, crypto.token_hash(token)).state == "voided"
    assert db.session.execute(select(BallotIssue)).first() is None
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "ballot.release")).scalar_one()
    assert entry.detail["reason"] == "投票机故障" and entry.detail["delegate_id"] == delegate.id
    text = json.dumps(entry.detail)
    assert crypto.token_hash(token) not in text and "token" not in text
    token2, _ = issue(session, kiosk, delegate)
    assert cast(session, kiosk, token2, ten_for()).tracking_code
