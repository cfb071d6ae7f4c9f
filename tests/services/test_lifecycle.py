"""Locking the candidate list, unlocking, opening check-in: readiness and side effects."""

import pytest
from sqlalchemy import select

from ballot import crypto, inputs
from ballot.domain.errors import InvalidInput, NotReady, WrongState
from ballot.domain.fields import CandidateFields
from ballot.models import AuditEntry
from ballot.services import candidates, keys, sessions
from tests.conftest import make_session

SECRET = "test-key-secret"


def test_lock_numbers_the_ballot_and_creates_an_encrypted_key(db):
    session = make_session()
    candidates.lock_list(session, "tester", SECRET)
    assert session.state == "locked"
    assert [c.code for c in session.candidates] == [f"{i:02d}" for i in range(1, 13)]
    private = keys.private_key(session, SECRET)
    assert crypto.fingerprint(private) == session.key_fingerprint
    assert b"PRIVATE" not in session.private_key_encrypted
    with pytest.raises(crypto.KeyDecryptionError):
        keys.private_key(session, "wrong secret")
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "session.state" in actions and "session.key_created" in actions


def test_eleven_for_ten_cannot_lock(db):
    session = make_session(candidates=11)
    with pytest.raises(NotReady) as caught:
        candidates.lock_list(session, "tester", SECRET)
    assert [p.code for p in caught.value.problems] == ["candidate_list_too_short"]
    assert "还需至少 1 个" in caught.value.problems[0].render()
    assert session.state == "draft" and session.public_key is None


def test_locked_list_cannot_change(db):
    session = make_session()
    candidates.lock_list(session, "tester", SECRET)
    with pytest.raises(WrongState):
        candidates.add_candidate(session, CandidateFields(title="新项目"), "tester")
    with pytest.raises(WrongState):
        candidates.delete_candidate(session, session.candidates[0], "tester")


def test_unlock_discards_key_and_codes(db):
    session = make_session()
    candidates.lock_list(session, "tester", SECRET)
    candidates.unlock_list(session, "tester")
    assert session.state == "draft"
    assert session.public_key is None and all(c.code is None for c in session.candidates)


def test_checkin_needs_a_locked_list_and_a_roster(db):
    session = make_session(delegates=0)
    with pytest.raises(NotReady) as caught:
        sessions.transition(session, "checkin", "tester")
    assert [p.code for p in caught.value.problems] == ["illegal_transition"]
    candidates.lock_list(session, "tester", SECRET)
    with pytest.raises(NotReady) as caught:
        sessions.transition(session, "checkin", "tester")
    assert [p.code for p in caught.value.problems] == ["roster_empty"]


def test_candidate_editing_and_reordering(db):
    session = make_session(candidates=3)
    first, second, third = session.candidates
    candidates.move_candidate(session, third, -1, "tester")
    assert [c.title for c in sorted(session.candidates, key=lambda c: c.position)] == [
        "民生项目1", "民生项目3", "民生项目2"]
    candidates.delete_candidate(session, first, "tester")
    assert sorted(c.position for c in session.candidates) == [1, 2]
    with pytest.raises(InvalidInput) as caught:
        inputs.candidate({"title": "", "budget": "abc"})
    assert "缺少项目名称" in str(caught.value) and "abc" in str(caught.value)


def test_settings_validation_lists_every_problem(db):
    with pytest.raises(InvalidInput) as caught:
        inputs.session_settings({"title": "", "date": "15/01/2027", "quota": "0",
                                 "level": "省", "min_excess_ratio": "abc"})
    message = str(caught.value)
    for fragment in ("会议名称", "日期", "应选项目数", "级别", "差额比例"):
        assert fragment in message
    settings = inputs.session_settings({"title": "X", "date": "2027-01-15", "quota": "10",
                                        "min_excess_ratio": "20"})
    assert str(settings.min_excess_ratio) == "0.20"


@pytest.mark.parametrize("year", ["99999999999999", "1999", "2101", "²"])
def test_a_project_year_outside_2000_to_2100_is_refused(db, year):
    with pytest.raises(InvalidInput) as caught:
        inputs.session_settings({"title": "X", "date": "2027-01-15", "quota": "10", "year": year})
    assert "项目年度须为整数，例如 2027。" in str(caught.value)
