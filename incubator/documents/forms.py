"""Forms of the documents section: adding a document, deleting one."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectChoice

from ..forms import Form
from ..models import Project, User, Visibility
from ..permissions import can_follow_up, can_upload_document
from .filetypes import ACCEPTED_EXTENSIONS
from .services import human_size


class DocumentForm(Form):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to add."))])
    visibility = RadioField(
        _l("Who sees it"),
        choices=[
            SelectChoice(Visibility.SHARED.value, _l("Shared with the project's holders")),
            SelectChoice(Visibility.INTERNAL.value, _l("Internal: the pole's team only")),
        ],
        default=Visibility.SHARED.value,
    )


class DeleteDocumentForm(Form):
    """Only the CSRF token: the document is in the URL."""


def document_form(user: User, project: Project, *, blank: bool = False) -> DocumentForm:
    """The upload form as ``user`` sees it: only staff choose the visibility (holders'
    documents are always shared). ``blank``: a fresh form, whatever the request holds."""
    # A prefix keeps the ids unique beside the other forms of the project page.
    form = DocumentForm(formdata=None, prefix="document") if blank else DocumentForm(
        prefix="document")
    if not can_follow_up(user, project):
        del form.visibility
    form.file.description = _(
        "PDF, Word, Excel or PowerPoint (.docx, .xlsx, .pptx), OpenDocument, images (PNG, "
        "JPEG, GIF, WebP), text or CSV; at most %(limit)s.",
        limit=human_size(current_app.config["DOCUMENT_MAX_BYTES"]))
    return form


def section_forms(user: User, project: Project) -> dict[str, DocumentForm | None]:
    """The section's form on the project page: a blank upload form, or None for who may
    not add a document."""
    allowed = can_upload_document(user, project)
    return {"document_form": document_form(user, project, blank=True) if allowed else None}


def accept_attribute() -> str:
    """For the file input's ``accept``: a hint to the browser's file picker only."""
    return ",".join(f".{extension}" for extension in ACCEPTED_EXTENSIONS)
