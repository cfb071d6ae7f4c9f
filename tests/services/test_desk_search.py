"""The check-in desk's search (name, seat, delegation, pinyin initials, full pinyin, surname
readings) and the attendance lists (签到表, 未到名单) in CSV, XLSX and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pypdfium2
import pytest
from openpyxl import load_workbook

from ballot.domain.errors import InvalidInput
from ballot.models import AuditEntry
from ballot.services import attendance, desk, roster
from tests.conftest import make_session


def _named(db, names: list[tuple[str, str, str]]):
    session = make_session(delegates=len(names), state="checkin")
    for delegate, (name, delegation, seat) in zip(roster.list_delegates(session), names,
                                                 strict=True):
        delegate.name, delegate.delegation, delegate.seat = name, delegation, seat
    db.session.flush()
    return session


NAMES = [("张建国", "第一代表组（城区）", "1排01座"), ("曾国华", "第二代表组（东片）", "1排02座"),
         ("欧阳娜娜", "第五代表组（企业界）", "2排01座"), ("李秀英", "第一代表组（城区）", "2排02座")]


@pytest.mark.parametrize(("query", "expected"), [
    ("张", ["张建国"]), ("zjg", ["张建国"]), ("ZJG", ["张建国"]), ("zhangjianguo", ["张建国"]),
    ("zgh", ["曾国华"]), ("cgh", ["曾国华"]),  # 曾 as a surname is zeng; ceng also found
    ("oynn", ["欧阳娜娜"]), ("2排", ["欧阳娜娜", "李秀英"]), ("1排02", ["曾国华"]),
    ("城区", ["张建国", "李秀英"]), ("城区 lxy", ["李秀英"]), ("", [n[0] for n in NAMES]),
    ("王", []),
])
def test_search_by_name_seat_delegation_and_pinyin(db, query, expected):
    session = _named(db, NAMES)
    found = desk.filter_delegates(roster.list_delegates(session), query)
    assert [d.name for d in found] == expected


def test_filter_by_attendance(db):
    session = _named(db, NAMES)
    people = roster.list_delegates(session)
    people[0].attendance, people[1].attendance = "present", "leave"
    assert [d.name for d in desk.filter_delegates(people, "", "present")] == ["张建国"]
    assert [d.name for d in desk.filter_delegates(people, "", "leave")] == ["曾国华"]
    assert [d.name for d in desk.filter_delegates(people, "", "absent")] == ["欧阳娜娜", "李秀英"]
    assert len(desk.filter_delegates(people, "", "nonsense")) == 4


def _with_a_late_arrival(db):
    session = _named(db, NAMES)
    people = roster.list_delegates(session)
    opened = dt.datetime(2027, 1, 15, 1, 30, tzinfo=dt.UTC)  # 09:30 in the hall
    people[0].attendance, people[0].checked_in_at = "present", opened - dt.timedelta(minutes=20)
    people[3].attendance, people[3].checked_in_at = "present", opened + dt.timedelta(minutes=5)
    roster.set_leave(session, people[1], True, "staff", "因公出差")
    db.session.add(AuditEntry(actor="chair", action="round.open", session_id=session.id,
                              detail={"number": 1}, at=opened))
    session.state = "voting"
    db.session.flush()
    return session


def test_signin_sheet_has_times_late_leave_and_absent(db):
    session = _with_a_late_arrival(db)
    rows = {r.name: r for r in desk.attendance_rows(session)}
    assert rows["张建国"].status == "已到" and not rows["张建国"].late
    assert rows["李秀英"].late and rows["李秀英"].as_dict()["签到时间"] == "2027-01-15 09:35:00"
    assert rows["曾国华"].status == "请假" and rows["曾国华"].reason == "请假：因公出差"
    assert rows["欧阳娜娜"].status == "缺席"  # voting opened without them

    content, mimetype, name = attendance.export(session, "signin", "csv")
    assert name == "test-session-signin-sheet.csv" and mimetype.startswith("text/csv")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][0].endswith("签到表") and "迟到 1 人" in table[2][0]
    assert table[3] == list(desk.SIGNIN_HEADERS)
    assert table[4][:7] == ["1", "1排01座", "张建国", "第一代表组（城区）", "已到",
                            "2027-01-15 09:10:00", ""]


def test_absent_list_in_every_format(db):
    session = _with_a_late_arrival(db)
    content, _, _ = attendance.export(session, "absent", "xlsx")
    sheet = load_workbook(io.BytesIO(content))["未到名单"]
    assert sheet["A1"].value.endswith("未到名单")
    assert [c.value for c in sheet[4]] == list(desk.ABSENT_HEADERS)
    assert [(sheet.cell(r, 3).value, sheet.cell(r, 5).value) for r in (5, 6)] == \
        [("曾国华", "请假"), ("欧阳娜娜", "缺席")]
    assert sheet.print_title_rows == "$4:$4" and sheet.cell(5, 1).value == 2  # a number
    content, mimetype, name = attendance.export(session, "absent", "pdf")
    assert mimetype == "application/pdf" and name == "test-session-absent-list.pdf"
    document = pypdfium2.PdfDocument(content)
    text = "".join(p.get_textpage().get_text_range() for p in document)
    assert "未到名单" in text and "曾国华" in text and "欧阳娜娜" in text and "张建国" not in text
    assert "第 1 页 共 1 页" in text
    with pytest.raises(InvalidInput):
        attendance.export(session, "everyone", "csv")
