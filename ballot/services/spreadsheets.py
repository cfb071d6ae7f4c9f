"""Excel workbooks as an office files them: a title block above the table, numbers stored as
numbers, A4 print set-up (fit to width, header rows repeated on every page, page numbers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value safe to open in a spreadsheet: text that would run as a formula gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _width(value) -> int:
    # CJK characters take about two columns of Excel's width unit.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def add_sheet(workbook, title: str, headers: Sequence[str], rows: Sequence[dict],
              title_lines: Sequence[str], *, landscape: bool = False,
              number_formats: dict[str, str] | None = None):
    """Append a sheet: ``title_lines`` (the first bold and larger) merged across the table,
    then the header row (repeated on every printed page), then ``rows`` (dicts by header).
    Numbers (int, Decimal) stay numbers; ``number_formats`` sets a column's format, e.g.
    {"预算（万元）": "#,##0.00"}."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet = workbook.create_sheet(title)
    columns = len(headers)
    for index, line in enumerate(title_lines, 1):
        sheet.cell(index, 1, neutralise(line))
        sheet.merge_cells(start_row=index, start_column=1, end_row=index, end_column=columns)
        cell = sheet.cell(index, 1)
        cell.font = Font(bold=index == 1, size=14 if index == 1 else 10.5)
        cell.alignment = Alignment(horizontal="center" if index == 1 else "left",
                                   vertical="center")
    sheet.row_dimensions[1].height = 24
    header_row = len(title_lines) + 1
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, header in enumerate(headers, 1):
        cell = sheet.cell(header_row, column, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F2F4")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    formats = number_formats or {}
    for offset, row in enumerate(rows, 1):
        for column, header in enumerate(headers, 1):
            value = row.get(header, "")
            if value is None:
                value = ""
            cell = sheet.cell(header_row + offset, column, neutralise(value))
            cell.border = border
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                cell.alignment = Alignment(horizontal="right")
                if header in formats:
                    cell.number_format = formats[header]
    for column, header in enumerate(headers, 1):
        widest = max([_width(header), *(_width(row.get(header, "")) for row in rows)])
        sheet.column_dimensions[get_column_letter(column)].width = min(60, widest + 2)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    # Print: A4, the table as wide as the page, header row on every page, "第 1 页 共 3 页".
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    sheet.oddHeader.right.text = "&A"
    return sheet


def workbook_bytes(build) -> bytes:
    """A new workbook filled by ``build(workbook)``, without openpyxl's empty default sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    default = workbook.active
    build(workbook)
    workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_csv(title: str, headers: tuple[str, ...], rows: list[dict]) -> bytes:
    """One titled table as CSV, UTF-8 with BOM (Excel in China opens it), formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(title)])
    writer.writerow(headers)
    for row in rows:
        writer.writerow([neutralise(row[h]) for h in headers])
    return buffer.getvalue().encode("utf-8-sig")
