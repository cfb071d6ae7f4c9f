"""XLSX imports stop at their bounds before anything is materialised (issue 17 #5).

The workbooks here are crafted by hand, as an attacker would: a few kilobytes of zip whose sheet
declares ``<dimension ref="A1:XFD…"/>`` (16,384 columns), or packs a million cells, or puts its
content a million rows down. Each is read quickly with little memory, or refused with a clear
Chinese message, never padded out cell by cell.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from ballot.domain.errors import ImportRejected
from ballot.services import roster, tabular, xlsx
from tests.conftest import make_session
from tests.factories import cell, crafted_xlsx, row

ALIASES = {"name": ("姓名",), "seat": ("座位号",)}


def dimension_bomb(rows: int, header: tuple[str, ...] = ("姓名", "座位号")) -> bytes:
    """The audit's workbook: a few KB declaring 16,384 columns, with ``rows`` short rows."""
    return crafted_xlsx("".join(row(n, f"代表{n}", str(n)) for n in range(2, rows + 2)), header)


def _read(data: bytes, max_rows: int = 5000):
    return tabular.read_table(data, "bomb.xlsx", ALIASES, ("name", "seat"), max_rows)


def test_a_workbook_declaring_16384_columns_is_read_quickly_and_small():
    data = dimension_bomb(2000)
    assert len(data) < 40_000
    started = time.perf_counter()
    table = _read(data)
    elapsed = time.perf_counter() - started
    assert len(table.rows) == 2000 and table.rows[0] == (2, {"name": "代表2", "seat": "2"})
    tracemalloc.start()
    _read(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Padded to 16,384 columns this took 4.8 s and 290 MB; bounded, about 0.5 s and 10 MB.
    assert elapsed < 5, elapsed
    assert peak < 40 * 1024 * 1024, peak


def _refusal(data: bytes, max_rows: int = 5000) -> str:
    with pytest.raises(ImportRejected) as caught:
        _read(data, max_rows)
    return " ".join(problem.render() for problem in caught.value.row_errors)


@pytest.mark.parametrize("body,says", [
    # Thousands of rows past the cap: refused at the cap, not after reading them all.
    ("".join(row(n, f"代表{n}", str(n)) for n in range(2, 8000)), "行数过多"),
    # Content a million rows down (openpyxl would yield every blank row before it).
    (row(2, "张三", "1") + row(1_000_000, "李四", "2"), "第 1000000 行"),
    # Half a million empty cells in one row: a few KB of zip.
    ('<row r="2">' + "<c/>" * 500_000 + "</row>", "单元格过多"),
    # A cell with content in the last column Excel has.
    ('<row r="2"><c r="XFD2"><v>1</v></c></row>', "第 16384 列"),
    # Formatted blank rows by the hundred thousand.
    ("".join(f'<row r="{n}"/>' for n in range(2, 200_000)), "行数过多"),
    # One cell that unpacks to 20 MB.
    (f'<row r="2">{cell("A2", "x" * 20_000_000)}</row>', "解压后"),
])
def test_workbooks_past_a_bound_are_refused_quickly_in_chinese(body, says):
    data = crafted_xlsx(body)
    assert len(data) < 1_000_000
    started = time.perf_counter()
    message = _refusal(data)
    assert says in message and time.perf_counter() - started < 10, message


def test_the_row_cap_counts_rows_with_content():
    assert len(_read(dimension_bomb(30), max_rows=30).rows) == 30
    assert "一次最多导入 30 行" in _refusal(dimension_bomb(31), max_rows=30)
    # Blank rows between data rows are fine, up to as many again as the cap.
    spaced = crafted_xlsx("".join(row(n, f"代表{n}", str(n)) for n in range(2, 60, 2)))
    assert len(_read(spaced, max_rows=30).rows) == 29


def test_a_workbook_whose_sheet_is_not_xml_is_refused_as_damaged():
    data = crafted_xlsx("<row><c><v>1</v></row>")  # mismatched tags
    assert "已损坏" in _refusal(data)


def test_the_bounds_apply_to_imports_and_nothing_is_stored(db):
    session = make_session(delegates=0)
    with pytest.raises(ImportRejected):
        roster.import_delegates(session, crafted_xlsx('<row r="2"><c r="XFD2"><v>1</v></c></row>'),
                                "roster.xlsx", "tester")
    assert roster.list_delegates(session) == []
    assert roster.import_delegates(session, dimension_bomb(40), "roster.xlsx", "tester") == 40


def test_bounds_are_what_the_module_says():
    assert xlsx.MAX_COLUMNS >= 7 and xlsx.MAX_UNPACKED_BYTES >= 4 * 1024 * 1024
