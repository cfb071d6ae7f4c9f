"""Backup and restore round trip of the SQLite database, with a session mid-vote."""

import pytest
from sqlalchemy import func, select

from ballot.models import BoardEntry, Delegate
from ballot.services import candidates, sessions
from tests.conftest import PG_URL


@pytest.mark.skipif(bool(PG_URL), reason="SQLite backup; PostgreSQL deployments use pg_dump")
def test_backup_restore_mid_vote(app, db, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    session = sessions.get_session("demo")
    candidates.lock_list(session, "test", app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, "checkin", "test")
    db.session.commit()
    result = runner.invoke(args=["simulate", "demo", "--turnout", "0.6", "--seed", "7",
                                 "--keep-open"])
    assert result.exit_code == 0, result.output
    entries = db.session.execute(select(func.count()).select_from(BoardEntry)).scalar_one()
    present = db.session.execute(select(func.count()).select_from(Delegate).where(
        Delegate.attendance == "present")).scalar_one()
    assert entries > 0 and present > 0
    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    db.session.execute(BoardEntry.__table__.delete())
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(BoardEntry)).scalar_one() == 0
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(BoardEntry)).scalar_one() == entries
    assert runner.invoke(args=["close", "demo", "--as", "chair"]).exit_code == 0


def test_restore_refuses_a_foreign_file(app, db, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0
