"""Engine set-up: SQLite pragmas for durability, and write transactions that lock up front.

SQLite runs in WAL mode with synchronous=FULL, so a ballot is acknowledged only after its commit
reached the disk. Write transactions start with ``BEGIN IMMEDIATE`` (ballot.unit_of_work, which
owns every transaction) so two kiosks can never both read "not yet issued" and both write.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ballot.extensions import db

BEGIN_OPTION = "ballot_begin"


def sqlite_url(instance_path: str) -> str:
    """The default embedded database: ``instance/ballot.sqlite``."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'ballot.sqlite'}"


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and begin handling on ``engine``; on PostgreSQL, switch JIT
    compilation off."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _without_jit)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _without_jit(dbapi_connection, _record) -> None:
    # PostgreSQL compiles a statement to machine code when its *estimated* cost is high, and
    # the estimates assume every session is as large as the average: beside one 100,000-ballot
    # session, the live feed's read of 800 township sessions (68 ms of work) spent 172 ms more
    # compiling itself, every second. No statement here runs long enough to gain from JIT.
    # Run outside any transaction: a rolled-back first transaction would undo the SET.
    # (JIT came with 11.)
    if dbapi_connection.info.server_version < 110000:
        return
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.autocommit = False


def polled(view):
    """Mark a read-only view that screens poll: on PostgreSQL its statements run without a
    transaction (autocommit), sparing the BEGIN and ROLLBACK round trips, half of a poll's
    database work. Each statement still sees committed data; a poll needs no snapshot across
    its two or three statements."""
    view.ballot_polled = True
    return view


def autocommit_polls() -> None:
    """Before-request hook for views marked ``polled`` (see there)."""
    from flask import current_app, request

    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "ballot_polled", False):
        read_without_transaction()


def read_without_transaction() -> None:
    """On PostgreSQL, run the session's next statements in autocommit (see ``polled``), unless
    a transaction is open already."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
