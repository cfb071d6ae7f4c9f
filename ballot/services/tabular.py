"""Reading uploaded tables (CSV in UTF-8/GBK/GB18030, or XLSX) into rows with line numbers.

Excel in China saves CSV as GBK (GB18030 is its superset), so every CSV is tried as UTF-8
(with or without BOM) first, then GB18030. Header cells are matched against Chinese and English
aliases; unknown and missing columns are reported, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from ballot.domain.errors import N_, ImportRejected, Listing, RowError


@dataclass(frozen=True)
class Table:
    """Parsed rows: each a dict keyed by canonical field name, with its line number."""

    rows: list[tuple[int, dict[str, str]]]
    headers: dict[str, str]  # canonical field → header text as written in the file


def _column_label(names: tuple[str, ...]) -> str:
    """A column's Chinese header with its English alias: ``座位号 (seat)``."""
    english = next((name for name in names if name.isascii()), None)
    return f"{names[0]} ({english})" if english else names[0]


def _error(message: str, line: int | None = None, column: str | None = None, **params) -> RowError:
    return RowError(line, column, message, params)


def read_table(
    data: bytes,
    filename: str,
    aliases: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    max_rows: int,
) -> Table:
    """Parse ``data`` as CSV or XLSX; raise ImportRejected listing every structural problem."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        raw_rows = _xlsx_rows(data, max_rows)
    elif name.endswith((".csv", ".txt")) or not name:
        raw_rows = _csv_rows(data)
    else:
        raise ImportRejected(
            [_error(N_("不支持的文件类型“%(name)s”，请上传 CSV 或 XLSX 文件。"), name=filename)]
        )
    if not raw_rows:
        raise ImportRejected([_error(N_("文件是空的，请检查是否选错了文件。"))])
    header_line, header = raw_rows[0]
    lookup = {alias.strip().lower(): field for field, names in aliases.items() for alias in names}
    mapping: dict[int, str] = {}
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        text = (cell or "").strip().lstrip("\ufeff")
        if not text:
            continue
        field = lookup.get(text.lower())
        if field is None:
            errors.append(
                _error(
                    N_("无法识别的列“%(header)s”。可用的列：%(known)s。"),
                    header_line,
                    text,
                    header=text,
                    known=Listing(_column_label(names) for names in aliases.values()),
                )
            )
        elif field in headers:
            errors.append(_error(N_("列“%(header)s”重复出现。"), header_line, text, header=text))
        else:
            mapping[index] = field
            headers[field] = text
    for field in required:
        if field not in headers:
            errors.append(
                _error(N_("缺少必需的列“%(header)s”。"), header_line, None, header=aliases[field][0])
            )
    if errors:
        raise ImportRejected(errors)
    rows = []
    for line, cells in raw_rows[1:]:
        if not any((c or "").strip() for c in cells):
            continue
        row = {field: (cells[i] if i < len(cells) else "").strip() for i, field in mapping.items()}
        rows.append((line, row))
    if len(rows) > max_rows:
        raise ImportRejected(
            [_error(N_("文件行数过多（%(count)s 行），一次最多导入 %(max)s 行。"), count=len(rows), max=max_rows)]
        )
    if not rows:
        raise ImportRejected([_error(N_("文件只有表头，没有数据行。"))])
    return Table(rows=rows, headers=headers)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text (*.txt)": UTF-16 with a byte-order mark, tab-separated.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not really UTF-16: refused below
    if b"\x00" in data[:4096]:
        raise ImportRejected(
            [_error(N_("文件不是文本表格（可能是二进制文件），请另存为 CSV（UTF-8 或 GBK）或 XLSX 后重试。"))]
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(
        [_error(N_("无法识别文件编码，请在 Excel 中另存为“CSV UTF-8”或 XLSX 后重试。"))]
    )


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            problem = RowError(None, None, N_(
                "第 %(line)s 行附近有一个单元格超过 %(limit)s 个字符，名册和项目表不会有这么长的内容："
                "请检查引号是否成对，或是否选错了文件。"),
                {"line": reader.line_num, "limit": csv.field_size_limit()})
        else:
            # The line goes in the message itself: csv's own detail names where it stopped.
            problem = RowError(None, None, N_("CSV 格式错误（第 %(line)s 行附近）：%(detail)s"),
                               {"line": reader.line_num, "detail": str(exc)})
        raise ImportRejected([problem]) from None


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    from ballot.services import xlsx

    return [(line, [_cell_text(v) for v in values]) for line, values in xlsx.read_rows(data, max_rows)]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
