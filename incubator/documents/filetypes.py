"""What a file really is, read from its content (magic bytes), never from its name.

Standard library only, on bytes already in memory (the upload is read once). Accepted: PDF,
PNG, JPEG, GIF, WebP, OpenDocument (text, spreadsheet, presentation), Office Open XML (docx,
xlsx, pptx, without macros) and plain UTF-8 text or CSV. Everything else is refused, notably
executables, HTML and SVG (both can carry scripts) and the legacy binary Office formats.

OpenDocument and Office Open XML files are zip archives: ``unpacks_too_big`` refuses one that
would inflate far beyond any real document (a "zip bomb" that would exhaust a server or a
reader's computer when opened). Members are never inflated here beyond a capped read.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    code: str  # a format name readable in any language: "PDF", "DOCX"…
    content_type: str
    extensions: tuple[str, ...]  # lower case, without the dot; the first one is the usual one

    def accepts(self, extension: str) -> bool:
        return extension.lower() in self.extensions

    def content_type_for(self, extension: str) -> str:
        """The type to store and send: a text file named .csv is CSV."""
        if self is TEXT and extension.lower() == "csv":
            return "text/csv"
        return self.content_type


PDF = FileType("PDF", "application/pdf", ("pdf",))
PNG = FileType("PNG", "image/png", ("png",))
JPEG = FileType("JPEG", "image/jpeg", ("jpg", "jpeg"))
GIF = FileType("GIF", "image/gif", ("gif",))
WEBP = FileType("WebP", "image/webp", ("webp",))
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", ("odt",))
ODS = FileType("ODS", "application/vnd.oasis.opendocument.spreadsheet", ("ods",))
ODP = FileType("ODP", "application/vnd.oasis.opendocument.presentation", ("odp",))
DOCX = FileType(
    "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)
)
XLSX = FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ("xlsx",))
PPTX = FileType(
    "PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ("pptx",),
)
TEXT = FileType("TXT", "text/plain", ("txt", "csv"))
ARCHIVES = (ODT, ODS, ODP, DOCX, XLSX, PPTX)
MAX_ENTRIES = 10_000
# Deflate cannot do better than about 1032:1; real documents (XML, images) stay far below
# this ratio. It is only checked on members large enough to matter.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024

ACCEPTED = (PDF, PNG, JPEG, GIF, WEBP, ODT, ODS, ODP, DOCX, XLSX, PPTX, TEXT)
ACCEPTED_EXTENSIONS = tuple(ext for kind in ACCEPTED for ext in kind.extensions)

_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}
_OOXML = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_EXECUTABLES = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt (and .msi)
# What browsers sniff as HTML, plus XML (SVG): text that is really markup is refused.
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml",
           b"<iframe")
_UTF8_BOM = b"\xef\xbb\xbf"


def detect(data: bytes) -> FileType | None:
    """The accepted type ``data`` is, or None when it is none of them."""
    if not data or data.startswith(_EXECUTABLES) or data.startswith(_OLE2):
        return None
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if _is_plain_text(data):
        return TEXT
    return None


def unpacks_too_big(data: bytes, max_total: int) -> bool:
    """A zip archive (``data``) that would inflate to more than ``max_total`` bytes, or has
    too many members, or a member compressed suspiciously well. The sizes come from the
    central directory (what any reader allocates from); nothing is inflated here."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            RuntimeError, EOFError, ValueError):
        return True
    if len(members) > MAX_ENTRIES:
        return True
    total = 0
    for member in members:
        total += member.file_size
        if total > max_total:
            return True
        if (member.file_size >= RATIO_FROM_BYTES
                and member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            return True
    return False


def is_legacy_office(data: bytes) -> bool:
    """An old binary Word, Excel or PowerPoint file (to suggest saving it anew)."""
    return data.startswith(_OLE2)


def extension_of(filename: str) -> str:
    """The lower-case extension of ``filename`` without the dot ("" when there is none)."""
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem.strip(". ") else ""


def _zip_type(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                # ODF: the first entry, stored, holds the type. Read a few bytes only.
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                return _ODF.get(declared)
            if "[Content_Types].xml" not in names:
                return None
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None  # macros
            for prefix, kind in _OOXML:
                if any(name.startswith(prefix) for name in names):
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            RuntimeError, EOFError, ValueError):
        return None
    return None


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 without NUL bytes, and not markup a browser could render (HTML, SVG, XML)."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = data.removeprefix(_UTF8_BOM).lstrip()[:1024].lower()
    if head.startswith(b"<"):
        return False
    return not any(marker in head for marker in _MARKUP)
