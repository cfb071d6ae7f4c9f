"""Reading the first sheet of an uploaded XLSX workbook within fixed bounds.

A workbook is a zip of XML, and openpyxl trusts what it says about itself: a 4.7 KB file whose
``<dimension ref="A1:XFD2001"/>`` claims 16,384 columns made it pad every row to 16,384 cells
(4.8 s and 290 MB for 2,000 rows), and deflate packs a billion ``<c/>`` cells into the size cap.
So nothing is read on trust: the archive's unpacked size is checked first, then one streaming
pass over the sheet's XML counts rows and cells and finds the last column with content, stopping
at the first bound it passes, and only then does openpyxl read, told exactly which rows and
columns to return.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, XMLPullParser

from ballot.domain.errors import N_, ImportRejected, RowError

MAX_UNPACKED_BYTES = 16 * 1024 * 1024  # a 5,000-row roster from Excel unpacks to about 2 MB
MAX_COLUMNS = 64                       # the widest import has 7 columns
MAX_CELLS_PER_ROW = 1024               # cells in the XML, empty formatted ones included
CHUNK = 64 * 1024
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


@dataclass(frozen=True)
class SheetShape:
    """What the scan found: the last row and column that hold anything."""

    last_row: int
    last_column: int


def _refuse(message: str, **params) -> ImportRejected:
    # The line goes in the message itself: these are about the sheet, not one row's data.
    return ImportRejected([RowError(None, None, message, params)])


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that unpacks to more than MAX_UNPACKED_BYTES (the sizes a zip declares
    bound what reading it yields: zipfile stops there and checks the CRC)."""
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(N_("XLSX 文件解压后有 %(size)s MB，超过 %(max)s MB 的上限，不像名册或项目表。"
                         "请删去多余的工作表、行和列，或另存为 CSV 后重试。"),
                      size=unpacked // (1024 * 1024), max=MAX_UNPACKED_BYTES // (1024 * 1024))


def scan_sheet(stream, max_rows: int) -> SheetShape:
    """Stream the sheet XML once and return its shape; ImportRejected at the first bound passed.

    Bounds: ``max_rows`` rows with content besides the header, reaching row ``2 * max_rows + 1``
    at most (as many blank rows again) and column MAX_COLUMNS; a row holds at most MAX_CELLS_PER_ROW cells, the sheet
    ``(max_rows + 1) * MAX_COLUMNS`` cells and ``20 * max_rows`` rows (formatted blank ones too).
    """
    last_line, max_cells, max_row_elements = 2 * max_rows + 1, (max_rows + 1) * MAX_COLUMNS, 20 * max_rows
    too_many_rows = N_("工作表的行数过多（至少到第 %(line)s 行），一次最多导入 %(max)s 行。"
                       "请删去多余的行，或分批导入。")
    parser = XMLPullParser(events=("start", "end"))
    sheet_data = None
    row_number = row_elements = filled_rows = cells = in_row = last_row = last_column = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        parser.feed(chunk)
        for event, element in parser.read_events():
            tag = _local(element.tag)
            if event == "start" and tag == "sheetData":
                sheet_data = element
            elif event == "start" and tag == "row":
                reference = element.get("r", "")
                row_number = int(reference) if reference.isdigit() else row_number + 1
                row_elements += 1
                in_row = 0
                if row_elements > max_row_elements:
                    raise _refuse(too_many_rows, line=row_number, max=max_rows)
            elif event == "start" and tag == "c":
                cells += 1
                in_row += 1
                if in_row > MAX_CELLS_PER_ROW or cells > max_cells:
                    raise _refuse(N_("工作表的单元格过多（第 %(line)s 行处已超过上限），不像名册或项目表。"
                                     "请只保留需要的行和列，或另存为 CSV 后重试。"), line=row_number)
            elif event == "end" and tag == "c":
                if any(_local(child.tag) in ("v", "is", "f") for child in element):
                    match = _CELL_REF.match(element.get("r", ""))
                    column = _column_number(match.group(1)) if match else in_row
                    if column > MAX_COLUMNS:
                        raise _refuse(N_("第 %(line)s 行第 %(column)s 列有内容，表格最多读取前 %(max)s 列。"
                                         "请删去多余的列后重试。"),
                                      line=row_number, column=column, max=MAX_COLUMNS)
                    if row_number != last_row:
                        filled_rows += 1
                    if row_number > last_line or filled_rows > max_rows + 1:
                        raise _refuse(too_many_rows, line=row_number, max=max_rows)
                    last_row = max(last_row, row_number)
                    last_column = max(last_column, column)
                element.clear()
            elif event == "end" and tag == "row" and sheet_data is not None:
                sheet_data.clear()  # rows already scanned: nothing of them is kept
    return SheetShape(last_row, last_column)


def read_rows(data: bytes, max_rows: int) -> list[tuple[int, list]]:
    """(line, cell values) of the first sheet's rows, within the bounds above."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_archive(archive)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        with archive.open(sheet._worksheet_path) as stream:  # openpyxl names no public accessor
            shape = scan_sheet(stream, max_rows)
        if shape.last_row == 0:
            return []
        # Bounds given explicitly, so the sheet's own <dimension> is never trusted.
        rows = sheet.iter_rows(min_row=1, max_row=shape.last_row, min_col=1,
                               max_col=shape.last_column, values_only=True)
        result = [(line, list(values)) for line, values in enumerate(rows, start=1)]
        workbook.close()
        return result
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, ParseError):
        raise _refuse(N_("无法读取 XLSX 文件（文件已损坏或不是 Excel 文件），请用 Excel 重新保存后再试。")) from None
