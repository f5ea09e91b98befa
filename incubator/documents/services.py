"""Writes for documents: check an upload completely, then store it; soft-delete.

An upload is read into memory once and checked whole (not empty, not over the limit, a type
we accept read from its content, a name agreeing with that type) before anything is
written; the route commits once, so a refused upload leaves no row behind. The file's name
is kept for display and download only: it is never used as a path.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Document, Project, User, Visibility, utcnow
from ..notifications.services import DOCUMENT_SHARED, notify
from ..permissions import can_follow_up
from . import filetypes

MAX_NAME_LENGTH = 150  # the column holds 200; long names are shortened, extension kept
# Characters Windows refuses in file names; replaced so a downloaded file saves anywhere.
_RESERVED = set('<>:"|?*')


class UploadRefused(Exception):
    """The upload cannot be stored; ``status`` (413 or 422) and a message for the user."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Upload:
    """A checked upload, ready to store."""

    filename: str
    content_type: str
    data: bytes


def human_size(size: int) -> str:
    """A size the way people read it: "840 bytes", "12.5 KB", "10 MB"."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(size / 1024, format="#,##0.#"))
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), format="#,##0.#"))


def accepted_types_message() -> str:
    return _("This type of file is not accepted. Accepted: PDF; Word, Excel and PowerPoint "
             "(.docx, .xlsx, .pptx); OpenDocument (.odt, .ods, .odp); images (PNG, JPEG, GIF, "
             "WebP); plain text and CSV (.txt, .csv).")


def too_large_message(max_bytes: int) -> str:
    return _("The file is larger than the limit of %(limit)s. Choose a smaller file (a PDF "
             "export or smaller images usually help).", limit=human_size(max_bytes))


def safe_filename(raw: str, kind: filetypes.FileType) -> str:
    """A name fit for display and for a Content-Disposition header: the last part of the
    path only, without control or invisible formatting characters (such as the right-to-left
    override that disguises ".exe"), without leading dots, shortened, and with an extension
    ("document.pdf" when nothing usable is left)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if char in _RESERVED else char
        for char in name
        if not unicodedata.category(char).startswith(("C", "Zl", "Zp"))
    )
    name = " ".join(name.split()).strip(". ")
    extension = filetypes.extension_of(name)
    if not extension:
        extension = kind.extensions[0]
        name = f"{name}.{extension}" if name else ""
    if not name:
        return f"document.{extension}"
    if len(name) > MAX_NAME_LENGTH:
        stem = name[: -(len(extension) + 1)]
        name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(". ") + "." + extension
    return name


def read_upload(storage: FileStorage, max_bytes: int, max_unpacked: int | None = None) -> Upload:
    """Read and check an uploaded file.

    Raises UploadRefused (status 422: empty, of a type not accepted, inflating past
    ``max_unpacked``, or named for another type; 413: larger than ``max_bytes``) with a
    message for the user.

    ``max_unpacked``: what an OpenDocument or Office file may inflate to (20 × ``max_bytes``
    by default)."""
    data = storage.stream.read(max_bytes + 1)
    if not data:
        raise UploadRefused(422, _("The file is empty. Choose a file that has content."))
    if len(data) > max_bytes:
        raise UploadRefused(413, too_large_message(max_bytes))
    kind = filetypes.detect(data)
    if kind is None:
        if filetypes.is_legacy_office(data):
            raise UploadRefused(422, _(
                "Old Word, Excel and PowerPoint files (.doc, .xls, .ppt) are not accepted. "
                "Save the file as .docx, .xlsx, .pptx or OpenDocument, then add it again."))
        raise UploadRefused(422, accepted_types_message())
    if kind in filetypes.ARCHIVES and filetypes.unpacks_too_big(
            data, max_unpacked or 20 * max_bytes):
        raise UploadRefused(422, _(
            "This file would take far more room once opened than a real document does (it "
            "may be damaged or built to harm). Save it again from its application, or choose "
            "another file."))
    name = safe_filename(storage.filename or "", kind)
    extension = filetypes.extension_of(name)
    if not kind.accepts(extension):
        raise UploadRefused(422, _(
            "The file's name ends in “.%(given)s” but its content is %(kind)s. Rename it to "
            "end in “.%(expected)s”, or choose another file.",
            given=extension[:20], kind=kind.code, expected=kind.extensions[0]))
    return Upload(name, kind.content_type_for(extension), data)


def add_document(project: Project, author: User, upload: Upload, visibility: str) -> Document:
    """Store a checked upload and tell who should know: the holders when staff share a
    document, the advisor when a holder adds one. Internal only if the author may choose it."""
    if visibility != Visibility.INTERNAL or not can_follow_up(author, project):
        visibility = Visibility.SHARED.value
    document = Document(
        project_id=project.id, uploaded_by_id=author.id, filename=upload.filename,
        content_type=upload.content_type, size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(), visibility=visibility,
        content=upload.data,
    )
    db.session.add(document)
    project.last_activity_at = utcnow()
    db.session.flush()
    if document.is_shared:
        if can_follow_up(author, project):  # the team shared it: tell the holders
            recipients = project.holders
        else:
            recipients = [project.advisor] if project.advisor else []
        notify(recipients, DOCUMENT_SHARED, project, author, name=document.filename)
    return document


def delete_document(document: Document, by: User) -> None:
    """Soft delete: the row stays so the project's history keeps it, with who deleted it."""
    document.deleted_at = utcnow()
    document.deleted_by_id = by.id
    db.session.flush()
