"""What a file really is, read from its content (magic bytes), never from its name.

Standard library only, on bytes already in memory (the upload is read once). Accepted: PDF,
PNG, JPEG, GIF, WebP, OpenDocument (text, spreadsheet, presentation), Office Open XML (docx,
xlsx, pptx, without macros) and plain text or CSV in the encodings people's tools write
(UTF-8, Windows-1252 from a French Excel, UTF-16 "Texte Unicode": ``textfiles``). Everything
else is refused, notably executables, HTML and SVG (both can carry scripts) and the legacy
binary Office formats.

OpenDocument and Office Open XML files are zip archives: ``unpacks_too_big`` refuses one that
would inflate far beyond any real document (a "zip bomb" that would exhaust a server or a
reader's computer when opened). The sizes written in an archive's headers are the sender's
claim, so each member is really inflated, in chunks and with a running cap that stops as soon
as the total passes the limit; nothing inflated is kept except a small archive nested in the
document (a chart's spreadsheet in a Word file), which is checked the same way, once.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, replace

from ..textfiles import NotText, read_text_file


@dataclass(frozen=True)
class FileType:
    code: str  # a format name readable in any language: "PDF", "DOCX"…
    content_type: str
    extensions: tuple[str, ...]  # lower case, without the dot; the first one is the usual one
    charset: str | None = None  # text only: the encoding read from the content

    def accepts(self, extension: str) -> bool:
        return extension.lower() in self.extensions

    def content_type_for(self, extension: str) -> str:
        """The type to store and send: a text file named .csv is CSV, with its encoding."""
        content_type = self.content_type
        if self.code == TEXT.code and extension.lower() == "csv":
            content_type = "text/csv"
        return f"{content_type}; charset={self.charset}" if self.charset else content_type


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
_MARKUP = ("<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe")


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
    return _text_type(data)


def unpacks_too_big(data: bytes, max_total: int) -> bool:
    """A zip archive (``data``) that would inflate to more than ``max_total`` bytes (measured,
    not read from its headers), or has too many members, a member compressed suspiciously
    well, headers that contradict each other or the data, or archives nested more than one
    level deep. Stops inflating as soon as the answer is known."""
    try:
        return _unpacks_too_big(data, _Budget(max_total), depth=0)
    except (_Refused, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError,
            OSError, RuntimeError, EOFError, ValueError, struct.error, zlib.error):
        return True


class _Refused(Exception):
    pass


class _Budget:
    """The bytes left to inflate, shared by an archive and the archives it contains."""

    def __init__(self, left: int) -> None:
        self.left = left

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise _Refused


MAX_NESTING = 1  # a document may contain archives (embedded objects); those may not
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ZIP64_SIZE = 0xFFFFFFFF
_DATA_DESCRIPTOR = 0x08
_ENCRYPTED = 0x01


def _deflate_bound(size: int) -> int:
    """The most a deflate stream of ``size`` bytes can take: incompressible data is stored in
    blocks with 5 bytes of framing (zlib's compressBound is size + size/4096 + size/16384
    + 13; twice its margin here). A member larger than this lies about its size."""
    return size + (size >> 11) + 64


def _unpacks_too_big(data: bytes, budget: _Budget, depth: int) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        return True
    end_of_previous = 0
    for member in sorted(members, key=lambda m: m.header_offset):
        start = _data_start(data, member)
        if member.header_offset < end_of_previous:
            return True  # members sharing their data: each would be inflated again
        end_of_previous = start + member.compress_size
        if end_of_previous > len(data):
            return True
        raw = memoryview(data)[start:end_of_previous]
        nested = _inflate(raw, member, budget, keep=len(data))
        if nested is not None and (depth >= MAX_NESTING
                                   or _unpacks_too_big(nested, budget, depth + 1)):
            return True
    return False


def _data_start(data: bytes, member: zipfile.ZipInfo) -> int:
    """Where ``member``'s compressed bytes begin, after its local header, which must agree
    with the central directory (what one reader trusts, another reads)."""
    offset = member.header_offset
    (signature, _version, flags, method, _time, _date, crc, compressed, size, name_length,
     extra_length) = _LOCAL_HEADER.unpack_from(data, offset)
    if signature != _LOCAL_SIGNATURE or method != member.compress_type:
        raise _Refused
    if flags & _ENCRYPTED or member.compress_type not in (zipfile.ZIP_STORED,
                                                          zipfile.ZIP_DEFLATED):
        raise _Refused  # documents never encrypt members nor use other methods
    if not flags & _DATA_DESCRIPTOR:
        if crc != member.CRC:
            raise _Refused
        for local, central in ((compressed, member.compress_size), (size, member.file_size)):
            if local != _ZIP64_SIZE and local != central:
                raise _Refused
    if member.compress_type == zipfile.ZIP_STORED and member.compress_size != member.file_size:
        raise _Refused
    if member.compress_size > _deflate_bound(member.file_size):
        raise _Refused
    return offset + _LOCAL_HEADER.size + name_length + extra_length


def _inflate(raw: memoryview, member: zipfile.ZipInfo, budget: _Budget,
             keep: int) -> bytes | None:
    """Inflate ``raw`` chunk by chunk, spending the budget as it goes; refuse a stream that
    gives more or less than the member's declared size, or is compressed suspiciously well.
    Returns the content when it is itself a zip archive (refused when larger than ``keep``,
    the size of the archive containing it), else None (nothing kept)."""
    declared = member.file_size
    if member.compress_type == zipfile.ZIP_STORED:
        budget.spend(len(raw))
        content = bytes(raw) if raw[:4] == _LOCAL_SIGNATURE else None
        if content is not None and len(content) > keep:
            raise _Refused
        return content
    if declared == 0 and not raw:
        return None  # an empty member some writers leave without even an end marker
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    kept: list[bytes] | None = None
    position = 0
    while not inflater.eof:
        if inflater.unconsumed_tail:
            piece = inflater.unconsumed_tail
        elif position < len(raw):
            piece = raw[position:position + _CHUNK]
            position += _CHUNK
        else:
            raise _Refused  # the stream ends before its end marker
        out = inflater.decompress(piece, _CHUNK)
        produced += len(out)
        budget.spend(len(out))
        if produced > declared:
            raise _Refused  # the header lied about the size
        if produced >= RATIO_FROM_BYTES and produced > MAX_RATIO * max(len(raw), 1):
            raise _Refused
        if kept is None and produced == len(out) and out[:4] == _LOCAL_SIGNATURE:
            kept = []
        if kept is not None:
            if produced > keep:
                raise _Refused  # an archive that deflates well is no real embedded file
            kept.append(out)
    if produced != declared or inflater.unused_data or position < len(raw):
        raise _Refused  # data after the stream's end: not what the headers describe
    return b"".join(kept) if kept is not None else None


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


def _text_type(data: bytes) -> FileType | None:
    """TEXT with its encoding, when ``data`` is text (``textfiles.read_text_file``) and not
    markup a browser could render (HTML, SVG, XML)."""
    try:
        text, encoding = read_text_file(data)
    except NotText:
        return None
    head = text.lstrip()[:1024].lower()
    if head.startswith("<") or any(marker in head for marker in _MARKUP):
        return None
    return replace(TEXT, charset=encoding)
