"""What every database connection is set up with (ballot.database.configure_engine)."""

from __future__ import annotations

from sqlalchemy import text


def _setting(db, statement: str):
    with db.engine.connect() as connection:
        value = connection.execute(text(statement)).scalar()
        connection.rollback()  # as the pool does when a request gives its connection back
    return value


def test_every_connection_is_set_up_for_its_engine(db):
    if db.engine.dialect.name == "postgresql":
        # JIT off (see _without_jit), and still off on a connection whose first transaction
        # was rolled back.
        for _ in range(3):
            assert _setting(db, "SHOW jit") == "off"
    else:
        # Durable WAL commits: a ballot is acknowledged only after it reached the disk.
        assert _setting(db, "PRAGMA journal_mode") == "wal"
        assert _setting(db, "PRAGMA synchronous") == 2  # FULL
        assert _setting(db, "PRAGMA foreign_keys") == 1
