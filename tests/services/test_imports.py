"""Roster and candidate imports: encodings, XLSX, all-or-nothing with every bad row listed."""

import codecs
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ballot.domain.errors import ImportRejected, WrongState
from ballot.models import AuditEntry, Candidate, Delegate
from ballot.services import candidates, roster
from tests.conftest import make_session

FIXTURES = Path(__file__).parent.parent / "fixtures"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def delegate_count(db, session) -> int:
    return db.session.execute(
        select(func.count()).select_from(Delegate).where(Delegate.session_id == session.id)
    ).scalar_one()


@pytest.mark.parametrize("name", ["roster_utf8.csv", "roster_utf8_bom.csv", "roster_gbk.csv",
                                  "roster.xlsx"])
def test_roster_imports_in_every_format(db, name):
    session = make_session(delegates=0)
    assert roster.import_delegates(session, read(name), name, "tester") == 60
    delegates = roster.list_delegates(session)
    assert len(delegates) == 60
    assert delegates[0].name == "王建国"
    assert delegates[0].delegation == "第一代表组（城区）"
    assert delegates[0].seat == "1排01座"
    assert delegates[0].phone == "13800000000"
    assert [d.roster_order for d in delegates] == list(range(1, 61))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_roster_saved_as_excel_unicode_text_imports(db, encoding):
    # Excel's "Unicode text (*.txt)": UTF-16 with a byte-order mark, tab-separated.
    text = read("roster_utf8.csv").decode("utf-8").replace(",", "\t")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    session = make_session(delegates=0)
    assert roster.import_delegates(session, data, "名单.txt", "tester") == 60
    assert roster.list_delegates(session)[0].name == "王建国"


def test_bad_roster_lists_every_bad_row_and_stores_nothing(db):
    session = make_session(delegates=0)
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, read("roster_bad.csv"), "roster_bad.csv", "tester")
    found = {(e.line, e.column, e.message.split("%")[0][:4]) for e in caught.value.row_errors}
    lines = sorted(e.line for e in caught.value.row_errors)
    assert lines == [3, 5, 7, 8]
    rendered = [e.render() for e in caught.value.row_errors]
    assert any("第 3 行" in r and "姓名" in r and "缺少代表姓名" in r for r in rendered)
    assert any("第 5 行" in r and "座位号 1排03座 与第 4 行重复" in r for r in rendered)
    assert any("第 7 行" in r and "与第 6 行重复" in r for r in rendered)
    assert any("第 8 行" in r and "缺少座位号" in r for r in rendered)
    assert len(found) == 4
    assert delegate_count(db, session) == 0
    assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0


def test_unknown_and_missing_columns_are_named(db):
    session = make_session(delegates=0)
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, read("roster_unknown_column.csv"), "x.csv", "tester")
    messages = [e.render() for e in caught.value.row_errors]
    assert any("无法识别的列“部门”" in m for m in messages)
    assert any("缺少必需的列“座位号”" in m for m in messages)


def test_binary_junk_is_refused_clearly(db):
    session = make_session(delegates=0)
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, read("junk.csv"), "junk.csv", "tester")
    assert "二进制" in caught.value.row_errors[0].render()
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, b"PK\x03\x04broken", "roster.xlsx", "tester")
    assert "XLSX" in caught.value.row_errors[0].render()
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, b"a,b", "roster.pdf", "tester")
    assert "CSV 或 XLSX" in caught.value.row_errors[0].render()
    assert delegate_count(db, session) == 0


def test_duplicates_against_existing_roster(db):
    session = make_session(delegates=0)
    roster.import_delegates(session, read("roster_utf8.csv"), "a.csv", "tester")
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, read("roster_gbk.csv"), "b.csv", "tester")
    assert len(caught.value.row_errors) == 120  # every seat and every person already there
    assert delegate_count(db, session) == 60
    assert roster.import_delegates(session, read("roster_gbk.csv"), "b.csv", "tester",
                                   replace=True) == 60
    assert delegate_count(db, session) == 60


def test_roster_frozen_once_checkin_opens(db):
    session = make_session(delegates=0, state="checkin")
    with pytest.raises(WrongState):
        roster.import_delegates(session, read("roster_utf8.csv"), "a.csv", "tester")


def test_formula_cells_are_refused(db):
    session = make_session(delegates=0)
    data = "姓名,座位号\n=HYPERLINK(\"x\"),1\n张三,2\n".encode()
    with pytest.raises(ImportRejected) as caught:
        roster.import_delegates(session, data, "f.csv", "tester")
    assert caught.value.row_errors[0].line == 2
    assert "公式" in caught.value.row_errors[0].render()


@pytest.mark.parametrize("name", ["projects_utf8.csv", "projects_gbk.csv", "projects.xlsx"])
def test_projects_import(db, name):
    session = make_session(candidates=0)
    assert candidates.import_candidates(session, read(name), name, "tester") == 12
    db.session.refresh(session)
    first = session.candidates[0]
    assert first.title == "镇中心小学教学楼改扩建"
    assert first.department == "镇教育办"
    assert str(first.budget) == "1850.00"
    assert first.source == "代表建议"
    assert [c.position for c in session.candidates] == list(range(1, 13))


def test_bad_projects_list_every_row(db):
    session = make_session(candidates=0)
    with pytest.raises(ImportRejected) as caught:
        candidates.import_candidates(session, read("projects_bad.csv"), "p.csv", "tester")
    assert sorted(e.line for e in caught.value.row_errors) == [3, 4, 6]
    rendered = " ".join(e.render() for e in caught.value.row_errors)
    assert "缺少项目名称" in rendered and "八百万" in rendered and "与第 5 行重复" in rendered
    assert db.session.execute(select(func.count()).select_from(Candidate)).scalar_one() == 0


@pytest.mark.parametrize("order", ["²", "١٢", "99999999999999999999", "-3", "1.5"])
def test_a_position_that_is_not_a_plain_small_number_is_refused(db, order):
    session = make_session(candidates=0)
    data = f"项目名称,序号\n村道硬化,{order}\n".encode()
    with pytest.raises(ImportRejected) as caught:
        candidates.import_candidates(session, data, "p.csv", "tester")
    assert [e.line for e in caught.value.row_errors] == [2]
    assert f"序号“{order}”须为正整数。" in caught.value.row_errors[0].render()
    assert db.session.execute(select(func.count()).select_from(Candidate)).scalar_one() == 0
