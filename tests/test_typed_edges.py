"""Typed edges: views and commands parse what users type (ballot.inputs); services and domain
rules take typed values and never read a form, a request or a JSON body."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ballot import inputs
from ballot.domain.errors import InvalidInput
from ballot.domain.fields import SessionSettings
from ballot.domain.rules import SessionCounts
from ballot.domain.states import Attendance, RoundState, State, TokenState
from ballot.extensions import db as _db
from ballot.models import Delegate, VoteSession
from tests.conftest import make_session

PACKAGE = Path(__file__).resolve().parent.parent / "ballot"
INNER = [PACKAGE / "services", PACKAGE / "domain"]
# Names a raw form or body goes by; a service taking one would be parsing user text again.
RAW_NAMES = {"form", "request_form"}


def _raw_inputs(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask" \
                and any(alias.name == "request" for alias in node.names):
            found.append(f"{path.name}:{node.lineno} imports flask.request")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in node.args.args + node.args.kwonlyargs:
                raw_dict = arg.arg == "values" and isinstance(arg.annotation, ast.Name) \
                    and arg.annotation.id == "dict"
                if arg.arg in RAW_NAMES or raw_dict:
                    found.append(f"{path.name}:{node.lineno} {node.name}({arg.arg})")
    return found


def test_services_and_rules_take_typed_values_not_forms():
    found = [o for folder in INNER for path in sorted(folder.rglob("*.py"))
             for o in _raw_inputs(path)]
    assert found == [], "parse in ballot/inputs.py and pass a typed value (ballot/domain/fields.py)"


def test_the_detector_finds_a_form_parameter(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("from flask import request\n\ndef save(session, values: dict, actor):\n"
                      "    pass\n\ndef edit(form):\n    pass\n")
    assert len(_raw_inputs(module)) == 3


def test_settings_are_parsed_into_typed_values():
    settings = inputs.session_settings({"title": " 第五次会议 ", "date": "2027-01-15",
                                        "quota": "10", "min_excess_ratio": "25%",
                                        "drill": "on", "late_checkin": "refused"})
    assert settings == SessionSettings(
        title="第五次会议", congress="第五次会议", level="乡镇", date=dt.date(2027, 1, 15),
        year=2027, quota=10, contested=True, min_excess_ratio=Decimal("0.25"),
        late_checkin=False, is_drill=True)
    uncontested = inputs.session_settings({"title": "X", "date": "2027-01-15", "quota": 3,
                                           "mode": "uncontested", "min_excess_ratio": "20"})
    assert (uncontested.contested, uncontested.min_excess_ratio) == (False, Decimal("0.00"))


@pytest.mark.parametrize(("body", "field"), [
    ({"title": 5}, "title"),
    ({"quota": True}, "quota"),
    ({"quota": [10]}, "quota"),
    ({"drill": "yes"}, "drill"),
    ({"title": "a\x00b"}, "title"),
])
def test_json_fields_must_have_their_json_type(body, field):
    with pytest.raises(InvalidInput) as refused:
        inputs.json_fields(body, **inputs.SESSION_JSON)
    assert field in str(refused.value)


def test_json_fields_keep_numbers_as_their_text_and_drop_unknown_fields():
    fields = inputs.json_fields({"quota": 10, "min_excess_ratio": 0.2, "drill": True,
                                 "title": "X", "state": "published", "slug": None},
                                **inputs.SESSION_JSON)
    assert fields == {"quota": "10", "min_excess_ratio": "0.2", "drill": True, "title": "X"}


@pytest.mark.parametrize(("values", "expected"), [
    ({"box_threshold": "0"}, 0),
    ({"box_threshold": ""}, None),
    ({"box_threshold": "2"}, 2),
])
def test_a_scrutiny_form_keeps_zero_as_zero(values, expected):
    assert inputs.scrutiny(values).box_threshold == expected


def test_a_scrutiny_form_refuses_words_for_numbers():
    with pytest.raises(InvalidInput, match="须为整数"):
        inputs.scrutiny({"box_shares": "three"})


def test_a_rating_plan_takes_codes_as_a_list_or_text():
    assert inputs.rating_plan({"codes": "01，03、4"}).codes == ("01", "03", "4")
    assert inputs.rating_plan({"codes": ["01"]}).codes == ("01",)
    assert inputs.rating_plan({}).codes is None
    with pytest.raises(InvalidInput):
        inputs.rating_plan({"date": "12/20"})


def test_states_compare_as_their_stored_text():
    assert State.VOTING == "voting" and f"{State.CLOSED}" == "closed"
    assert RoundState("open") is RoundState.OPEN and TokenState.USED == "used"
    counts = SessionCounts(present=31, leave=2, absent=27, candidates=12)
    assert (counts.expected, counts.quorum_needed, counts.quorum_met) == (60, 31, True)
    assert counts.to_dict()["expected"] == 60


def test_states_are_stored_as_their_text_and_read_back_as_members(db):
    session = make_session(delegates=2)
    delegate = _db.session.execute(
        _db.select(Delegate).where(Delegate.session_id == session.id)).scalars().first()
    delegate.attendance = Attendance.LEAVE
    _db.session.commit()
    stored = _db.session.execute(_db.text(
        "SELECT v.state, d.attendance FROM vote_sessions v JOIN delegates d "
        "ON d.session_id = v.id WHERE d.id = :id"), {"id": delegate.id}).one()
    assert tuple(stored) == ("draft", "leave") and type(stored[0]) is str
    _db.session.expire_all()
    again = _db.session.get(VoteSession, session.id)
    assert again.state is State.DRAFT
    assert _db.session.get(Delegate, delegate.id).attendance is Attendance.LEAVE
