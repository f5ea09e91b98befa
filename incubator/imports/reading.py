"""An uploaded spreadsheet read into a table of text cells, as poles really save them.

- CSV: the encoding from the byte order mark (UTF-8, and UTF-16 LE/BE as Excel's "Texte
  Unicode" writes it), else strict UTF-8, else Windows-1252 (a French Excel's "CSV
  (séparateur : point-virgule)"). The delimiter is sniffed among ``,`` ``;`` and tab only
  (``csv.Sniffer`` left free picks letters or spaces on short files).
- XLSX: the first sheet, read with openpyxl in read-only mode (streamed, never the whole
  workbook in memory), values turned to text as Excel shows them (a SIRET typed as a number
  keeps its digits, 12.0 is "12").

Blank lines are dropped; each row keeps its line number in the file (the header is line 1 of
the table) so the preview can say "line 14". Anything else (a PDF, a legacy .xls, an
OpenDocument file, binary data, an empty file, a file without any row under its header) is
refused with ``FileRefused``: a status (413 too large, 422 otherwise) and a message.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from ..forms import BIDI_CONTROLS

# Cells of a row past this many columns are ignored; files past MAX_ROWS are refused (a
# pole's directory is hundreds of rows; Sirene extracts for a few communes, thousands).
MAX_COLUMNS = 80
MAX_ROWS = 50_000
# An XLSX is a zip: a few megabytes can unzip to gigabytes (openpyxl keeps all the shared
# strings in memory). A real workbook of MAX_ROWS rows unzips to well under this.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that show nothing (zero-width space, joiners, word joiner, BOM, soft hyphen,
# direction marks) around a cell's text, dropped as the directory's form drops them
# (members/forms.py): a name of only these would be an invisible link in the directory.
_INVISIBLE_EDGES = re.compile(r"^[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]+"
                              r"|[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]+$")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class FileRefused(ValueError):
    """The upload cannot be read as a spreadsheet: ``status`` (413 or 422) and ``message``."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Table:
    """A sheet: its header cells and rows of text cells, each row with its line number."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    file_format: str = "CSV"  # "CSV" or "XLSX"
    encoding: str = ""  # CSV only: "utf-8", "windows-1252", "utf-16"
    delimiter: str = ""  # CSV only


def not_a_spreadsheet() -> str:
    return _("This file is not a spreadsheet this page can read. Save it from your "
             "spreadsheet as CSV or as an Excel workbook (.xlsx), then send it again.")


def read_table(data: bytes) -> Table:
    """The table ``data`` (an uploaded file's bytes) holds. Raises FileRefused (422)."""
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE: Excel 97-2003 .xls
        raise FileRefused(_("This is an old Excel file (.xls). Save it as an Excel workbook "
                            "(.xlsx) or as CSV, then send it again."))
    else:
        table = _read_csv(data)
    if not any(table.header):
        raise FileRefused(_("The first line of the file should name the columns; it is "
                            "empty."))
    if not table.rows:
        raise FileRefused(_("The file has column names but no row under them."))
    if len(table.rows) > MAX_ROWS:
        raise FileRefused(_("The file has more than %(max)s rows: split it into several "
                            "files.", max=f"{MAX_ROWS:,}".replace(",", "\u202f")))
    return table


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding's name. Raises FileRefused."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), "utf-16" if codec == "utf-16" else "utf-8"
            except UnicodeDecodeError:
                raise FileRefused(not_a_spreadsheet()) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise FileRefused(_("The file is in an encoding this page cannot read. Save it as "
                            "“CSV UTF-8” from your spreadsheet, then send it again.")) from None


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    if _CONTROL.search(text):
        raise FileRefused(not_a_spreadsheet())
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        delimiter = max(",;\t", key=first.count)
    _check_quotes(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table(header=[], file_format="CSV", encoding=encoding, delimiter=delimiter)
    try:
        _fill(table, reader)
    except csv.Error:
        raise FileRefused(not_a_spreadsheet()) from None
    return table


def _check_quotes(text: str, delimiter: str) -> None:
    """Refuse a file where a cell opens a quotation mark and never closes it: the csv
    module would silently read the rest of the file as that one cell (one row imported
    with a name made of many rows). Raises FileRefused naming the line of the quote."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise FileRefused(_("A quotation mark opened on line %(line)s is never "
                                    "closed, so the rest of the file cannot be read. "
                                    "Correct that line in your spreadsheet, save it as CSV "
                                    "again, then send it again.", line=line)) from None
            return  # other oddities (a quote after text) are read leniently below
        line = reader.line_num + 1


def _fill(table: Table, rows) -> None:
    """Header (the first non-blank row) and rows of ``rows``, blank lines dropped."""
    header_seen = False
    for number, row in enumerate(rows, 1):
        cells = [_clean(cell) for cell in row[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if not header_seen:
            table.header = cells
            header_seen = True
            continue
        table.rows.append((number, cells))
        if len(table.rows) > MAX_ROWS:
            break
    # Columns past the last one holding anything (an XLSX sheet's formatted, empty columns).
    width = max([index + 1 for cells in (table.header, *(row for _n, row in table.rows))
                 for index, cell in enumerate(cells) if cell] or [0])
    table.header = table.header[:width] + [""] * (width - len(table.header))
    table.rows = [(number, cells[:width]) for number, cells in table.rows]


def _clean(cell: str) -> str:
    """A cell's text: spaces collapsed, line breaks kept (skills, notes), controls dropped,
    and bidi controls (``forms.BIDI_CONTROLS``) and invisible padding removed as the
    directory's form removes them (an imported name is shown in the same sentences)."""
    text = _CONTROL.sub(" ", cell).translate(BIDI_CONTROLS)
    lines = (_INVISIBLE_EDGES.sub("", " ".join(line.split())) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def file_name(raw: str | None) -> str:
    """An uploaded file's name as shown and recorded: its folders dropped (``..\\`` or
    ``../`` of any system), cleaned like a cell (controls, bidi controls, invisible padding:
    it is quoted in the undo question), at most 255 characters; "import" when nothing is
    left."""
    name = _clean((raw or "").replace("\\", "/").rsplit("/", 1)[-1]).replace("\n", " ")
    return name[:255] or "import"


def cell_text(value) -> str:
    """An XLSX cell's value as text, as a person reads it in the sheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return f"{value:.0f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise FileRefused(not_a_spreadsheet()) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise FileRefused(_("This workbook is too large once opened. Keep only the columns "
                            "and rows to import, or save it as CSV, then send it again."), 413)
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:  # OpenDocument
            raise FileRefused(_("This is an OpenDocument spreadsheet (.ods). Save it as an "
                                "Excel workbook (.xlsx) or as CSV, then send it again."))
        raise FileRefused(not_a_spreadsheet())
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        raise FileRefused(not_a_spreadsheet()) from None
    try:
        sheet = workbook.worksheets[0]
        table = Table(header=[], file_format="XLSX")
        rows = ([cell_text(value) for value in row]
                for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
        _fill(table, rows)
        if not any(table.header) and len(workbook.worksheets) > 1:
            raise FileRefused(_("Only the first sheet of a workbook is imported, and its "
                                "first sheet (“%(sheet)s”) is empty. Put the organisations "
                                "on the first sheet, or save their sheet as CSV, then send "
                                "it again.", sheet=sheet.title))
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(not_a_spreadsheet()) from None
    finally:
        workbook.close()
    return table
