"""The one unit of work (ballot.unit_of_work): it alone begins, commits, rolls back and re-runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from ballot import unit_of_work
from ballot.domain.errors import InvalidInput
from ballot.models import AuditEntry
from ballot.services import audit

PACKAGE = Path(__file__).resolve().parent.parent / "ballot"
OWNER = PACKAGE / "unit_of_work.py"
# Ending a transaction, or re-running one, belongs to the unit of work alone.
FORBIDDEN_CALLS = {"commit", "rollback", "begin_nested"}
FORBIDDEN_NAMES = {"RETRY_SQLSTATES", "sqlstate", "begin_write", "lost_race"}


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in FORBIDDEN_CALLS:
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} .{node.func.attr}()")
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if name in FORBIDDEN_NAMES:
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}")
    return found


def test_only_the_unit_of_work_commits_rolls_back_or_retries():
    offences = [o for path in sorted(PACKAGE.rglob("*.py")) if path != OWNER
                for o in _offences(path)]
    assert offences == [], "use ballot.unit_of_work (run, transactional, side_write, discard)"


def _entries(db) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_run_commits_and_rolls_back_on_error(db):
    unit_of_work.run(lambda: audit.record("t", "test.kept"))

    def fails():
        audit.record("t", "test.lost")
        raise InvalidInput("refused")

    with pytest.raises(InvalidInput):
        unit_of_work.run(fails)
    db.session.rollback()
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions == ["test.kept"]


class _Race(Exception):
    def __init__(self, sqlstate: str) -> None:
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "23505"])
def test_a_lost_race_runs_the_whole_unit_again(db, sqlstate):
    calls = []

    def work():
        calls.append(1)
        audit.record("t", f"test.try{len(calls)}")
        if len(calls) < 3:
            raise OperationalError("UPDATE …", {}, _Race(sqlstate))
        return "done"

    assert unit_of_work.run(work) == "done"
    assert len(calls) == 3
    # The losing attempts' writes were rolled back; only the last one's stayed.
    assert db.session.execute(select(AuditEntry.action)).scalars().all() == ["test.try3"]


def test_other_database_errors_and_endless_races_are_not_hidden(db):
    calls = []

    def broken():
        calls.append(1)
        raise OperationalError("SELECT", {}, _Race("42P01"))

    with pytest.raises(DBAPIError):
        unit_of_work.run(broken)
    assert len(calls) == 1

    def always_loses():
        calls.append(1)
        raise OperationalError("SELECT", {}, _Race("40001"))

    calls.clear()
    with pytest.raises(DBAPIError):
        unit_of_work.run(always_loses)
    assert len(calls) == unit_of_work.ATTEMPTS


def test_an_inner_unit_joins_the_outer_one(db):
    def outer():
        unit_of_work.run(lambda: audit.record("t", "test.inner"))
        raise InvalidInput("refused")

    with pytest.raises(InvalidInput):
        unit_of_work.run(outer)
    db.session.rollback()
    assert _entries(db) == 0  # the inner unit did not commit on its own


def test_a_side_write_stays_when_the_request_fails(db):
    unit_of_work.side_write(lambda: audit.record("kiosk:1", "test.side"))
    db.session.rollback()
    assert _entries(db) == 1

    def in_unit():
        unit_of_work.side_write(lambda: audit.record("kiosk:1", "test.side"))

    with pytest.raises(unit_of_work.ChangesOutsideUnit):
        unit_of_work.run(in_unit)


def test_changes_made_outside_a_unit_are_refused_not_committed_or_dropped(db):
    audit.record("t", "test.stray")
    with pytest.raises(unit_of_work.ChangesOutsideUnit):
        unit_of_work.run(lambda: None)
    db.session.rollback()
    assert _entries(db) == 0


def test_a_post_takes_the_write_lock_first_unless_its_view_reads_first(app, db):
    db.session.commit()  # no transaction open: as at the start of a real request
    with app.test_request_context("/kiosk/api/vote/issue", method="POST"):
        unit_of_work.begin_request()
        assert db.session().in_transaction()
    db.session.rollback()
    # The kiosk's cast encrypts and signs before it writes: no lock is held meanwhile.
    with app.test_request_context("/kiosk/api/vote/cast", method="POST"):
        unit_of_work.begin_request()
        assert not db.session().in_transaction()
