"""Many threads and processes on one delegate and one token: exactly one issue, one ballot."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from ballot import unit_of_work
from ballot.app import create_app
from ballot.domain.errors import AlreadyIssued, BallotTokenInvalid
from ballot.extensions import db as _db
from ballot.models import BallotIssue, BoardEntry, Kiosk, VoteSession
from ballot.services import rounds, voting
from tests.factories import add_kiosk, card, issue, session_delegates, voting_session

WORKERS = 8


def _app_for(url) -> object:
    # Threads get apps built beforehand (app set-up is not what is being raced); processes
    # build their own.
    return url if not isinstance(url, str) else create_app(
        {"CONFIG_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})


def _issue_once(url, session_id: int, kiosk_id: int, text: str) -> str:
    app = _app_for(url)
    with app.app_context():
        try:
            unit_of_work.run(lambda: voting.issue_ballot(
                _db.session.get(VoteSession, session_id), _db.session.get(Kiosk, kiosk_id), text))
            return "issued"
        except AlreadyIssued:
            return "refused"
        finally:
            _db.engine.dispose()


def _cast_once(url, session_id: int, kiosk_id: int, token: bytes, choices: dict) -> str:
    app = _app_for(url)
    with app.app_context():
        try:
            receipt = unit_of_work.run(lambda: voting.cast_ballot(
                _db.session.get(VoteSession, session_id), _db.session.get(Kiosk, kiosk_id),
                token, choices))
            return receipt.tracking_code
        finally:
            _db.engine.dispose()


def _cast_as_kiosk_once(url, session_id: int, kiosk_id: int, token: bytes, choices: dict) -> str:
    # As the kiosk's view does it: encrypt and sign with no lock held, then record in a unit.
    app = _app_for(url)
    with app.app_context():
        try:
            sealed = voting.seal_ballot(_db.session.get(VoteSession, session_id),
                                        _db.session.get(Kiosk, kiosk_id), token, choices)
            receipt = unit_of_work.run(lambda: voting.record_ballot(
                _db.session.get(VoteSession, session_id), _db.session.get(Kiosk, kiosk_id),
                sealed))
            return receipt.tracking_code
        finally:
            _db.engine.dispose()


def _cast_some_way(url, session_id: int, kiosk_id: int, token: bytes, choices: dict,
                   as_kiosk: bool) -> str:
    return (_cast_as_kiosk_once if as_kiosk else _cast_once)(url, session_id, kiosk_id, token,
                                                             choices)


def _threads(target, argument_lists) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(len(argument_lists))
    argument_lists = [(_app_for(args[0]), *args[1:]) for args in argument_lists]

    def run(args):
        barrier.wait()
        try:
            results.append(target(*args))
        except Exception as error:  # surfaced in the assertion instead of a lost thread warning
            results.append(f"error: {error!r}")

    threads = [threading.Thread(target=run, args=(args,)) for args in argument_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _processes(target, argument_lists) -> list[str]:
    with multiprocessing.get_context("spawn").Pool(len(argument_lists)) as pool:
        return pool.starmap(target, argument_lists)


def _setup(app, db):
    session, _ = voting_session(delegates=20)
    kiosks = [add_kiosk(session, f"投票机{i}") for i in range(WORKERS)]
    db.session.commit()
    return app.config["SQLALCHEMY_DATABASE_URI"], session, [k.id for k in kiosks]


def _counts(db, session):
    db.session.rollback()
    issues = db.session.execute(select(func.count()).select_from(BallotIssue)).scalar_one()
    entries = db.session.execute(select(func.count()).select_from(BoardEntry)).scalar_one()
    return issues, entries


def _check_one_delegate_and_one_token(app, db, run) -> None:
    url, session, kiosk_ids = _setup(app, db)
    delegate = session_delegates(session)[0]
    text = card(session, delegate)
    results = run(_issue_once, [(url, session.id, k, text) for k in kiosk_ids])
    assert sorted(results) == ["issued"] + ["refused"] * (WORKERS - 1)
    assert _counts(db, session) == (1, 0)

    other = session_delegates(session)[1]
    # A kiosk of its own: at the winner's kiosk a new issue would void the first delegate's
    # unused token and clear that mark (the kiosk moved on to its next delegate).
    kiosk = add_kiosk(session, "投票机Z")
    db.session.commit()
    token, _ = issue(session, kiosk, other)
    same = {"01": "for", "02": "against"}
    different = {"01": "against"}
    args = [(url, session.id, kiosk.id, token, same if i % 2 else different)
            for i in range(WORKERS)]
    results = run(_cast_some_way, [(*a, i % 3 == 0) for i, a in enumerate(args)])
    # One ballot won; every other submission on the token got the winner's receipt (the
    # choices are not kept, so a retry cannot be compared with them) and recorded nothing.
    assert len(set(results)) == 1 and not results[0].startswith("error"), results
    assert _counts(db, session) == (2, 1)


def test_threads_hammer_one_delegate_and_one_token(app, db):
    _check_one_delegate_and_one_token(app, db, _threads)


def test_processes_hammer_one_delegate_and_one_token(app, db):
    _check_one_delegate_and_one_token(app, db, _processes)


def test_a_ballot_sealed_before_the_close_is_not_recorded_after_it(app, db):
    url, session, kiosk_ids = _setup(app, db)
    kiosk = db.session.get(Kiosk, kiosk_ids[0])
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    db.session.commit()
    sealed = voting.seal_ballot(session, kiosk, token, {"01": "for"})
    assert sealed.entry is not None
    unit_of_work.run(lambda: rounds.close_round(session, "chair"))
    with pytest.raises(BallotTokenInvalid):
        unit_of_work.run(lambda: voting.record_ballot(session, kiosk, sealed))
    assert _counts(db, session) == (1, 0)


@pytest.mark.sqlite_only  # SQLite's one write lock; PostgreSQL locks rows
def test_sealing_a_ballot_holds_no_write_lock(app, db, tmp_path):
    url, session, kiosk_ids = _setup(app, db)
    kiosk = db.session.get(Kiosk, kiosk_ids[0])
    token, _ = issue(session, kiosk, session_delegates(session)[0])
    db.session.commit()
    voting.seal_ballot(session, kiosk, token, {"01": "for"})
    other = sqlite3.connect(db.engine.url.database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # "database is locked" if sealing held the lock
        other.rollback()
    finally:
        other.close()
