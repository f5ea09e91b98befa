"""Exports of figures and lists: CSV as French spreadsheet software reads it, and XLSX with
typed cells (docs/exports.md).

- CSV: UTF-8 with a byte order mark, ``;`` between fields, CRLF line ends, the decimal comma,
  no thousands separator; money in euros ("1250,50"), percentages as a number of percent
  ("12,7"), dates as ``JJ/MM/AAAA``.
- XLSX (openpyxl, write-only: rows are streamed to a temporary file, never all in memory):
  numbers as numbers, money with a euro format, percentages with a percent format, dates
  as dates; the header row frozen and filtered.
- Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) are never run (OWASP, "CSV injection"): in CSV, which
  has no types, they get a leading apostrophe; in XLSX they stay string cells with the
  "quote prefix" style, so the spreadsheet shows the text as it is and never evaluates it.
- Every export is recorded in the security log (``export.downloaded``: what, format, rows).

``table_response(table, fmt, filename)`` answers one ``tables.Table``;
``workbook_response(tables, filename)`` answers several tables as the sheets of one XLSX;
``stream_response(columns, rows, fmt, filename, what)`` answers a list of any length (the
entity exports of /exports): CSV streamed row by row, XLSX written to a temporary file and
sent from disk. Raises ``ValueError`` for an unknown format (the route answers 400 first).
Files are named in ASCII and, for accents, per RFC 5987 (``filename*=UTF-8''…``).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from flask import Response, send_file, stream_with_context
from flask_babel import gettext

from .security_log import record as log_event
from .tables import Column, Link, Table

FORMATS = ("csv", "xlsx")
CSV_MIMETYPE = "text/csv"  # Flask adds "; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XLSX: number formats by kind of column.
# ("#,##0.##" would show a whole number as "3," in Excel and LibreOffice: hours keep two
# decimals, other decimals show as typed.)
_XLSX_FORMATS = {"money": '#,##0.00\\ "€"', "percent": "0.0%", "change": "+0.0%;-0.0%;0.0%",
                 "count": "#,##0",
                 "decimal": "General", "hours": "#,##0.00", "days": "General",
                 "date": "DD/MM/YYYY", "id": "0"}
# What XML 1.0 cannot hold (openpyxl refuses it): control characters but tab, CR, LF.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def runs_as_formula(text: str) -> bool:
    """True when a spreadsheet would take ``text`` for a formula."""
    return text.startswith(_FORMULA_START)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: a leading apostrophe when it
    starts like a formula ("=1+1" → "'=1+1")."""
    return "'" + text if runs_as_formula(text) else text


def _plain(value: Any) -> Any:
    return value.text if isinstance(value, Link) else value


def csv_value(value: Any, kind: str) -> str:
    """One CSV field: the French way for numbers and dates, neutralised text."""
    value = _plain(value)
    if value is None:
        return ""
    if kind == "money":
        return _decimal_comma(Decimal(value) / 100, places=2)
    if kind in ("percent", "change"):
        return _decimal_comma(Decimal(str(value)) * 100, places=1)
    if kind in ("count", "decimal", "hours", "days"):
        return _decimal_comma(Decimal(str(value)))
    if kind == "id":
        return str(value)  # an identifier (a stored integer), not a quantity: plain digits
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(str(value))


def _decimal_comma(value: Decimal, places: int | None = None) -> str:
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    text = format(value, "f")
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def csv_lines(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, a chunk a row (BOM first), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([neutralise(header_label(column)) for column in columns])
    yield "\ufeff" + flush()
    kinds = [column.kind for column in columns]
    for row in rows:
        writer.writerow([csv_value(value, kind) for value, kind in zip(row, kinds, strict=True)])
        yield flush()


def xlsx_value(value: Any, kind: str) -> Any:
    """One XLSX cell's value: typed (numbers, euros, ratios, dates), text as it is (the
    cell that holds it is a string cell, see ``text_cell``)."""
    value = _plain(value)
    if value is None:
        return None
    if kind == "money":
        return Decimal(value) / 100
    if kind in ("id", "count", "decimal", "hours", "days", "percent", "change"):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return _ILLEGAL_XML.sub("", str(value))


def _cell(sheet, value: Any):
    """A write-only cell holding ``value``; text is always a string cell (openpyxl would
    otherwise take "=…" for a formula), with the "quote prefix" style when a spreadsheet
    would run it: shown as typed, never evaluated, no apostrophe in the value."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if runs_as_formula(value):
            cell.quotePrefix = True
    return cell


def sheet_title(title: Any, taken: Iterable[str] = ()) -> str:
    """``title`` as an Excel sheet name: without the characters Excel forbids
    (``[]:*?/\\``, an apostrophe at either end), at most 31 characters cut at a word
    boundary, and unlike the names ``taken`` (Excel compares them ignoring case): "(2)",
    "(3)"… added to a repeated one."""
    name = " ".join(re.sub(r"[\\/*?:\[\]]", " ", str(title)).split()).strip("' ")
    name = name or "Sheet"
    used = {other.casefold() for other in taken}
    candidate, number = _shorten(name, 31), 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = _shorten(name, 31 - len(suffix)) + suffix
    return candidate


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut before a word rather than inside one
    (inside only for a single word longer than the limit), without trailing punctuation."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if text[limit] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;.-–—('’") or text[:limit]


def header_label(column: Column) -> str:
    """A column's header in an export: its label with its unit when the label does not
    already say it ("Montant (€)", "Part (%)", "Durée (h)", "Médiane (jours)"), so that a
    figure read without the page's formatting keeps its meaning."""
    label = str(column.label)
    if column.kind == "money":
        units, says = "€", ("€", "euro")
    elif column.kind in ("percent", "change"):
        units, says = "%", ("%",)
    elif column.kind == "hours":
        units = "h"  # the symbol, in every language
        says = ("(h)", gettext("hours"), gettext("Hours"))
    elif column.kind == "days":
        units = gettext("days")
        says = (units, units.capitalize())
    else:
        return label
    if any(word.casefold() in label.casefold() for word in says):
        return label
    return f"{label} ({units})"


def write_sheet(workbook, title: str, columns: Sequence[Column],
                rows: Iterable[Sequence[Any]], footer: bool = False) -> int:
    """Append a write-only sheet named after ``title`` (``sheet_title``: Excel's rules, and
    unique in ``workbook``) to ``workbook``: a frozen, filtered header, typed cells. With
    ``footer``, the last row is a totals row, left out of the filter (sorting keeps it
    last). Returns the number of rows written."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(sheet_title(title, workbook.sheetnames))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        width = 10 if column.kind == "id" else 14 if column.numeric else 32
        sheet.column_dimensions[get_column_letter(index)].width = width
    header = []
    for column in columns:
        cell = _cell(sheet, _ILLEGAL_XML.sub("", header_label(column)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value, column in zip(row, columns, strict=True):
            cell = _cell(sheet, xlsx_value(value, column.kind))
            if column.kind in _XLSX_FORMATS:
                cell.number_format = _XLSX_FORMATS[column.kind]
            cells.append(cell)
        sheet.append(cells)
        count += 1
    last = get_column_letter(max(1, len(columns)))
    filtered = count - 1 if footer and count else count
    sheet.auto_filter.ref = f"A1:{last}{filtered + 1}"
    return count


def _xlsx_file(sheets: Iterable[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]]
               ) -> tuple[IO[bytes], int]:
    """The workbook of ``sheets`` in a temporary file (deleted once closed), at its start,
    and the number of rows written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    total = 0
    for title, columns, rows, *footer in sheets:
        total += write_sheet(workbook, title, columns, rows, footer=bool(footer and footer[0]))
    # Write-only sheets stream their rows to temporary files; the zip is built at save.
    file = tempfile.TemporaryFile()
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file, total


def _send_xlsx(file: IO[bytes], filename: str) -> Response:
    """The XLSX in ``file`` sent from disk in chunks (closed, hence deleted, at the end)."""
    response = send_file(file, mimetype=XLSX_MIMETYPE, conditional=False, etag=False)
    response.headers.update(_attachment(filename, "xlsx"))
    return response


def _attachment(filename: str, extension: str) -> dict[str, str]:
    """Download headers: an ASCII name (accents dropped, other characters as dashes) for
    old clients, and the real name in UTF-8 (RFC 5987) for the others."""
    ascii_name = (unicodedata.normalize("NFKD", filename).encode("ascii", "ignore")
                  .decode("ascii"))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.") or "export"
    full = re.sub(r'[\x00-\x1f\x7f/\\"]+', "-", filename).strip(" -.") or safe
    encoded = quote(f"{full}.{extension}", safe="")
    return {"Content-Disposition":
            f"attachment; filename=\"{safe}.{extension}\"; filename*=UTF-8''{encoded}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def _rows_with_footer(table: Table) -> list[tuple]:
    return [*table.rows, *([table.footer] if table.footer is not None else [])]


def table_response(table: Table, fmt: str, filename: str, what: str | None = None) -> Response:
    """``table`` as a download in ``fmt`` ("csv" or "xlsx"), named ``filename`` + extension
    (reduced to letters, digits, dot, dash and underscore); recorded in the security log as
    ``what`` (default: the table's key). Raises ValueError for another format."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    rows = _rows_with_footer(table)
    log_event("export.downloaded", export=what or table.key, format=fmt, rows=len(rows))
    if fmt == "csv":
        return Response(csv_lines(table.columns, rows), mimetype=CSV_MIMETYPE,
                        headers=_attachment(filename, "csv"))
    file, _count = _xlsx_file([(table.title, table.columns, rows, table.footer is not None)])
    return _send_xlsx(file, filename)


def workbook_response(tables: Sequence[Table], filename: str, what: str) -> Response:
    """Several tables as the sheets of one XLSX (the funders' report), in order; recorded
    in the security log as ``what``."""
    file, count = _xlsx_file(
        (table.title, table.columns, _rows_with_footer(table), table.footer is not None)
        for table in tables)
    log_event("export.downloaded", export=what, format="xlsx", rows=count)
    return _send_xlsx(file, filename)


def stream_response(columns: Sequence[Column], rows: Iterable[Sequence[Any]], fmt: str,
                    filename: str, what: str, title: str = "", **fields: Any) -> Response:
    """A list of any length as a download, in constant memory: CSV sent row by row as
    ``rows`` yields them (inside the request's context, so ``rows`` may read the database
    batch by batch while the answer goes out); XLSX written row by row to a temporary file
    (sheet ``title``), then sent from disk. Recorded in the security log as ``what`` with
    ``fields`` (the filters: ids, dates, codes, never personal data) and, for XLSX, the
    number of rows. Raises ValueError for another format."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if fmt == "csv":
        log_event("export.downloaded", export=what, format=fmt, rows=None, **fields)
        return Response(stream_with_context(csv_lines(columns, rows)), mimetype=CSV_MIMETYPE,
                        headers=_attachment(filename, "csv"))
    file, count = _xlsx_file([(title or what, columns, rows)])
    log_event("export.downloaded", export=what, format=fmt, rows=count, **fields)
    return _send_xlsx(file, filename)
