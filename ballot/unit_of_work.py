"""The one unit of work: the only place where a transaction begins, commits, rolls back or is re-run.

Services read and change the database through ``db.session`` and never finish a transaction;
views and commands hand their work to this module (docs: /work/briefs/UNIT-OF-WORK.md, README):

* ``run(work)`` and ``@transactional``: run ``work`` in one write transaction and commit it;
  roll back on any error and re-raise; when PostgreSQL reports that the transaction lost a race
  (serialization failure 40001, deadlock 40P01, unique violation 23505) roll back and run the
  whole of ``work`` again, whose reads then see the winner's committed rows (a second kiosk that
  raced to issue the same delegate a ballot is then told "already issued"). A ballot is
  acknowledged only after ``run`` returned, i.e. after a durable commit.
* ``@transactional_post``: the same for a view that shows a form (GET) and takes it (POST).
* ``side_write(work)``: a small write that must stay even when the request's own work fails or
  only reads (a kiosk's last-seen time, its failed-scan count), committed at once, alone.
* ``begin_request``: before-request hook: a POST takes the write lock before its first read,
  unless its view is marked ``reads_first`` (it does its slow reading and computing first, then
  writes in one short ``run``).
* ``discard()``: the error handlers' and commands' rollback of whatever a failed request left.

A write transaction starts with SQLite's ``BEGIN IMMEDIATE`` (ballot.database installs the begin
handler), so two kiosks can never both read "not yet issued" and both write; on PostgreSQL the
services lock the rows they decide on (``FOR UPDATE``) and lost races are re-run here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ballot.database import BEGIN_OPTION
from ballot.extensions import db

T = TypeVar("T")
P = ParamSpec("P")

ATTEMPTS = 8
# PostgreSQL SQLSTATEs that mean "another transaction won a race; run the unit again".
RETRY_SQLSTATES = frozenset({"40001", "40P01", "23505"})
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

_WRITE_TRANSACTION = "ballot_write_transaction"  # session.info: the transaction begun here
_IN_UNIT = "ballot_in_unit"  # session.info: a unit of work is running


class ChangesOutsideUnit(RuntimeError):
    """A programming error: changes were made outside a unit of work and would be lost."""


def lost_race(error: DBAPIError) -> bool:
    """True when ``error`` says the transaction lost a race with another one (PostgreSQL)."""
    return getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES


def run(work: Callable[[], T]) -> T:
    """Run ``work`` as one unit: begin a write transaction, commit, roll back on error, re-run
    after a lost race. Inside a running unit, ``work`` simply joins it."""
    session = db.session()
    if session.info.get(_IN_UNIT):
        return work()
    for attempt in range(1, ATTEMPTS + 1):
        _begin_write(session)
        session.info[_IN_UNIT] = True
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if attempt == ATTEMPTS or not lost_race(error):
                raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info.pop(_IN_UNIT, None)
    raise AssertionError("unreachable")


def transactional(function: Callable[P, T]) -> Callable[P, T]:
    """Decorator form of ``run`` for write views and commands: the whole call is the unit (and
    is called again after a lost race, so it must not have effects outside the database before
    it returns)."""

    @wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
        return run(lambda: function(*args, **kwargs))

    return wrapped


def transactional_post(function: Callable[P, T]) -> Callable[P, T]:
    """``transactional`` for a view serving both a form (GET: reads only, no write lock) and
    its submission (POST: one unit of work)."""

    @wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
        from flask import request

        if request.method in UNSAFE_METHODS:
            return run(lambda: function(*args, **kwargs))
        return function(*args, **kwargs)

    return wrapped


def side_write(work: Callable[[], object]) -> None:
    """Commit ``work`` now, in a short write transaction of its own, so that it stays whatever
    becomes of the request's own unit. Called outside any unit; reads made before it are
    discarded (they must hold no changes) and the caller's objects are re-read on next use."""
    session = db.session()
    if session.info.get(_IN_UNIT):
        raise ChangesOutsideUnit("side_write() inside a unit of work would commit the unit early")
    _begin_write(session)
    try:
        work()
        session.commit()
    except BaseException:
        session.rollback()
        raise


def discard() -> None:
    """Roll back whatever the current transaction holds (error handlers, failed commands)."""
    db.session.rollback()


def reads_first(view: Callable[P, T]) -> Callable[P, T]:
    """Mark a POST view that reads and computes before it writes (a kiosk's cast encrypts and
    signs first): ``begin_request`` does not take the write lock for it, so other writers are not
    kept waiting meanwhile; its writes go through ``run``, which takes the lock and re-checks."""
    view.ballot_reads_first = True
    return view


def begin_request() -> None:
    """Before-request hook: a request that may write takes the write lock before its first read.

    Views read (the login, the session, the kiosk) and then write; SQLite cannot turn a read
    transaction into a write once another process has committed in between ("database is
    locked", a 500), so every POST starts with ``BEGIN IMMEDIATE``, and its unit of work adopts
    that transaction. A transaction already open (the test suite shares its app context with
    the test client) is left to the unit of work.
    """
    from flask import current_app, request

    if request.method not in UNSAFE_METHODS or db.session().in_transaction():
        return
    if getattr(current_app.view_functions.get(request.endpoint), "ballot_reads_first", False):
        return
    _begin_write(db.session())


def _begin_write(session: Session) -> None:
    """Make the session's transaction a write transaction begun here.

    A write transaction begun here and not yet used for a write (``begin_request``'s) is
    adopted: everything read in it was read under the lock. Any other open transaction may only
    have read: it is rolled back so the lock is taken before anything is read again; one holding
    unsaved changes is a programming error (they would be lost), not something to commit.
    """
    if session.new or session.dirty or session.deleted:
        raise ChangesOutsideUnit(
            "changes made outside a unit of work: wrap them in unit_of_work.run()")
    current = session.get_transaction()
    if current is not None and session.info.get(_WRITE_TRANSACTION) is current:
        return
    if session.in_transaction():
        session.rollback()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={BEGIN_OPTION: "IMMEDIATE"})
    else:
        session.connection()
    session.info[_WRITE_TRANSACTION] = session.get_transaction()
