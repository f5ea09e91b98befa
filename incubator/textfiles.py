"""Text files as people's tools really save them: UTF-8, the Windows-1252 of a CSV that a
French Excel writes ("CSV (séparateur : point-virgule)"), the UTF-16 of its "Texte Unicode".

``read_text_file`` is the one reader: the document upload uses it to accept a text file, the
member import will use it to read one. The encoding is found by charset-normalizer (a
maintained detector that measures how plausible each decoding is), limited to the encodings
these tools write: left free, it reads French Windows text as Central European (cp1250),
where "à" and "è" come out as "ŕ" and "č". Binary data is refused:
no candidate decodes it plausibly, and a decoded text must hold no control characters
other than tab, line breaks, form feed and the DOS end-of-file mark; UTF-16 and UTF-32 only
with their byte order mark (Windows always writes it; without it random bytes could pass).
"""

from __future__ import annotations

import re

# Python codec → the name a Content-Type charset uses.
ENCODINGS = {"utf_8": "utf-8", "utf_16": "utf-16", "utf_32": "utf-32", "cp1252": "windows-1252"}
_NEEDS_BOM = {"utf_16", "utf_32"}
_BINARY = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


class NotText(ValueError):
    """The bytes are not text in an encoding people's tools write."""


def read_text_file(data: bytes) -> tuple[str, str]:
    """The text ``data`` holds (byte order mark removed) and its encoding's name
    ("utf-8", "windows-1252", "utf-16"…), or NotText."""
    if not data:
        raise NotText("empty")
    # Imported here: ~2.5 MiB that only uploads need, kept out of every worker's memory.
    from charset_normalizer import from_bytes

    match = from_bytes(data, cp_isolation=list(ENCODINGS)).best()
    if match is None:
        raise NotText("no plausible encoding")
    if match.encoding in _NEEDS_BOM and not match.bom:
        raise NotText("UTF-16 or UTF-32 without a byte order mark")
    text = str(match)
    if _BINARY.search(text):
        raise NotText("control characters")
    return text, ENCODINGS[match.encoding]
