"""Issue marks (DESIGN §3): cleared only by voiding their own unused token, always audited.

An outside audit (issue 17, item 1) voted twice through a kiosk that returned another delegate's
token with a card, and through a staff release of a delegate who had already voted. These tests
pin the rule: a mark is cleared only by voiding the very token it issued, only while that token
is unused; a cast ballot can never be released; every return, release and kiosk reissue is
audited (who, which kiosk, why). They run on SQLite and on $BALLOT_TEST_DATABASE_URL.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ballot import crypto, unit_of_work
from ballot.domain.errors import BallotError, BallotTokenInvalid
from ballot.extensions import db as _db
from ballot.models import (
    AuditEntry,
    BallotIssue,
    BallotToken,
    BoardEntry,
    Delegate,
    Kiosk,
    VoteSession,
)
from ballot.services import rounds, voting
from tests.factories import add_kiosk, card, cast, issue, session_delegates, ten_for, voting_session


def _audit(db, action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars())


def _entries(db) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(BoardEntry)).scalar_one()


def _refused(code: str, call, *args) -> BallotError:
    """``call(*args)`` raises the BallotError ``code``; the transaction is rolled back."""
    with pytest.raises(BallotError) as caught:
        call(*args)
    _db.session.rollback()
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_kiosk_cannot_return_another_delegates_token_with_a_card(db):
    # 17.1(a): A voted at the kiosk, B was issued there next; the kiosk then sent B's open token
    # with A's card. A's mark was cleared, A voted again, B was refused, nothing was audited.
    session, kiosk = voting_session()
    a, b = session_delegates(session)[:2]
    a_card = card(session, a)
    token_a, _ = voting.issue_ballot(session, kiosk, a_card)
    db.session.commit()
    cast(session, kiosk, token_a, ten_for())
    token_b, _ = issue(session, kiosk, b)

    _refused("not_issued_here", voting.return_token, session, kiosk, token_b, a_card)

    assert rounds.issued_delegate_ids(session, 1) == {a.id, b.id}
    assert db.session.get(BallotToken, crypto.token_hash(token_b)).state == "open"
    _refused("already_cast", voting.issue_ballot, session, kiosk, a_card)
    assert cast(session, kiosk, token_b, ten_for()).tracking_code
    assert _entries(db) == 2
    assert _audit(db, "ballot.return") == []


def test_release_of_a_delegate_who_voted_is_refused_plainly(db):
    # 17.1(b): staff released a delegate who had already voted, who then voted again.
    session, kiosk = voting_session()
    a = session_delegates(session)[0]
    a_card = card(session, a)
    token, _ = voting.issue_ballot(session, kiosk, a_card)
    db.session.commit()
    cast(session, kiosk, token, ten_for())

    error = _refused("ballot_cast", voting.release_delegate, session, a, "staff", "代表说没投上")
    assert "代表1" in error.render() and "已经投票" in error.render()
    assert rounds.issued_delegate_ids(session, 1) == {a.id}
    _refused("already_cast", voting.issue_ballot, session, add_kiosk(session, "投票机2"), a_card)
    assert _entries(db) == 1
    assert _audit(db, "ballot.release") == []


def test_release_voids_only_the_delegates_own_token(db):
    # A was issued at the kiosk and left (page reloaded); B was issued there next. Releasing A
    # used to void the kiosk's open token, which by then was B's.
    session, kiosk = voting_session()
    a, b = session_delegates(session)[:2]
    token_a, _ = issue(session, kiosk, a)
    token_b, _ = issue(session, kiosk, b)

    # Issuing B voided A's unused token, so A's mark went with it, audited as the kiosk's.
    assert rounds.issued_delegate_ids(session, 1) == {b.id}
    assert db.session.get(BallotToken, crypto.token_hash(token_a)).state == "voided"
    [returned] = _audit(db, "ballot.return")
    assert returned.actor == f"kiosk:{kiosk.id}"
    assert returned.detail["delegate_id"] == a.id and returned.detail["kiosk"] == kiosk.name
    assert returned.detail["reason"]

    _refused("not_issued", voting.release_delegate, session, a, "staff", "换机")
    assert cast(session, kiosk, token_b, ten_for()).tracking_code
    assert cast(session, kiosk, issue(session, kiosk, a)[0], ten_for()).tracking_code
    assert _entries(db) == 2


def test_release_voids_the_token_where_it_is_and_is_audited_with_the_kiosk(db):
    session, kiosk = voting_session()
    other = add_kiosk(session, "投票机2")
    db.session.commit()
    a, b = session_delegates(session)[:2]
    token_a, _ = issue(session, kiosk, a)
    token_b, _ = issue(session, other, b)

    voting.release_delegate(session, a, "staff", "投票机故障")
    db.session.commit()
    assert db.session.get(BallotToken, crypto.token_hash(token_a)).state == "voided"
    assert db.session.get(BallotToken, crypto.token_hash(token_b)).state == "open"
    [entry] = _audit(db, "ballot.release")
    assert entry.actor == "staff"
    assert (entry.detail["delegate_id"], entry.detail["kiosk"], entry.detail["reason"]) == (
        a.id, kiosk.name, "投票机故障")
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, token_a, ten_for())
    db.session.rollback()
    assert cast(session, other, token_b, ten_for()).tracking_code


def test_walk_away_return_is_audited_with_kiosk_and_reason(db):
    session, kiosk = voting_session()
    a = session_delegates(session)[0]
    a_card = card(session, a)
    token, _ = voting.issue_ballot(session, kiosk, a_card)
    db.session.commit()
    voting.return_token(session, kiosk, token, a_card)
    db.session.commit()
    [entry] = _audit(db, "ballot.return")
    assert entry.actor == f"kiosk:{kiosk.id}"
    assert (entry.detail["delegate_id"], entry.detail["name"], entry.detail["kiosk"]) == (
        a.id, a.name, kiosk.name)
    assert entry.detail["reason"]
    # Returned twice (a retried request): the token is no longer open, nothing more happens.
    with pytest.raises(BallotTokenInvalid):
        voting.return_token(session, kiosk, token, a_card)
    db.session.rollback()
    assert len(_audit(db, "ballot.return")) == 1


def test_rescan_at_the_same_kiosk_recovers_a_lost_token(db):
    # 20.3: the kiosk page reloaded mid-ballot and lost its token; the delegate scans again.
    session, kiosk = voting_session()
    other = add_kiosk(session, "投票机2")
    db.session.commit()
    a = session_delegates(session)[0]
    a_card = card(session, a)
    lost, _ = voting.issue_ballot(session, kiosk, a_card)
    db.session.commit()

    error = _refused("already_issued", voting.issue_ballot, session, other, a_card)
    assert kiosk.name in error.render()  # says where the open ballot is

    fresh, view = voting.issue_ballot(session, kiosk, a_card)
    db.session.commit()
    assert fresh != lost and view["round"] == 1
    assert db.session.get(BallotToken, crypto.token_hash(lost)).state == "voided"
    [entry] = _audit(db, "ballot.reissue")
    assert entry.actor == f"kiosk:{kiosk.id}"
    assert (entry.detail["delegate_id"], entry.detail["kiosk"]) == (a.id, kiosk.name)
    assert rounds.issued_count(session, 1) == 1
    with pytest.raises(BallotTokenInvalid):
        voting.cast_ballot(session, kiosk, lost, ten_for())
    db.session.rollback()
    assert cast(session, kiosk, fresh, ten_for()).tracking_code
    # After the cast a rescan gets nothing, at this kiosk or any other.
    _refused("already_cast", voting.issue_ballot, session, kiosk, a_card)
    _refused("already_cast", voting.issue_ballot, session, other, a_card)
    assert _entries(db) == 1 and len(_audit(db, "ballot.reissue")) == 1


def test_issue_mark_holds_the_token_hash_never_the_token_or_ballot_id(db):
    session, kiosk = voting_session()
    a = session_delegates(session)[0]
    token, _ = issue(session, kiosk, a)
    receipt = cast(session, kiosk, token, ten_for())
    row = db.session.execute(select(BallotIssue)).scalar_one()
    assert row.token_hash == crypto.token_hash(token)
    entry = db.session.execute(select(BoardEntry)).scalar_one()
    # The ballot id comes from the raw token by another derivation: the stored hash gives
    # neither the ballot id nor the tracking code.
    assert entry.ballot_id not in row.token_hash and row.token_hash != entry.entry_hash
    assert receipt.tracking_code.replace("-", "").lower() not in row.token_hash


# --- races, on both databases -------------------------------------------------------------------


def _release_once(app, session_id: int, delegate_id: int) -> str:
    """The staff desk's release, in its own unit of work as the view runs it."""
    with app.app_context():
        try:
            unit_of_work.run(lambda: voting.release_delegate(
                _db.session.get(VoteSession, session_id), _db.session.get(Delegate, delegate_id),
                "staff", "竞争测试"))
            return "released"
        except BallotError as error:
            return error.code
        finally:
            _db.session.remove()


def _cast_once(app, session_id: int, kiosk_id: int, token: bytes) -> str:
    """The kiosk's cast, in its own unit of work as the view runs it."""
    with app.app_context():
        try:
            unit_of_work.run(lambda: voting.cast_ballot(
                _db.session.get(VoteSession, session_id), _db.session.get(Kiosk, kiosk_id),
                token, ten_for()))
            return "cast"
        except BallotError as error:
            return error.code
        finally:
            _db.session.remove()


def _race(calls: list[tuple]) -> list[str]:
    """Run each ``(function, *args)`` in its own thread, released together; their answers."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(function, *args):
        barrier.wait()
        try:
            results.append(function(*args))
        except Exception as error:  # surfaced in the assertion, not lost with the thread
            results.append(f"error: {error!r}")

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_release_racing_a_cast_lets_exactly_one_win(app, db):
    rounds_ = 6
    session, kiosk = voting_session(delegates=20)
    kiosks = [kiosk] + [add_kiosk(session, f"投票机{i}") for i in range(2, rounds_ + 1)]
    db.session.commit()
    delegates = session_delegates(session)[:rounds_]
    for delegate, k in zip(delegates, kiosks, strict=True):
        token, _ = issue(session, k, delegate)
        results = _race([(_cast_once, app, session.id, k.id, token),
                         (_release_once, app, session.id, delegate.id)])
        results = sorted(results)
        # Exactly one wins: the cast (the release is refused: already voted) or the release
        # (the cast is refused: the token was voided).
        assert results in (["ballot_cast", "cast"], ["ballot_token_invalid", "released"]), results
        db.session.rollback()
        issued = delegate.id in rounds.issued_delegate_ids(session, 1)
        assert issued == (results == ["ballot_cast", "cast"])
        # Never a second ballot: a released delegate votes once more, a voter never again.
        again = card(session, delegate)
        if issued:
            _refused("already_cast", voting.issue_ballot, session, k, again)
        else:
            cast(session, k, voting.issue_ballot(session, k, again)[0], ten_for())
            db.session.commit()
            _refused("already_cast", voting.issue_ballot, session, k, again)
    assert _entries(db) == rounds_
    assert rounds.issued_count(session, 1) == rounds.returned_count(session, 1) == rounds_
