"""Documents of a project: add (htmx or a plain multipart form), download, delete.

Access follows the project: whoever may not see the project, or the document (holders never
see internal ones), gets a 404. Downloads are attachments with a safe name, the type detected
at upload, and headers that stop a browser from rendering or sniffing them.
"""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..dom import dom_id
from ..errors import fail, render_error
from ..extensions import db
from ..htmx import is_htmx, page_or_fragment, project_done, project_url
from ..models import Project, Visibility
from ..permissions import can_delete_document, can_upload_document, visible_project
from ..permissions import visible_project_or_404 as _visible_or_404
from . import bp, queries, services
from .forms import (
    DeleteDocumentForm,
    DocumentForm,
    accept_attribute,
    document_form,
    section_forms,
)


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    return services.human_size(size)


@bp.app_context_processor
def _document_helpers() -> dict:
    return {"document_accept": accept_attribute}



def _render_form(project: Project, form: DocumentForm, status: int):
    """The form with its errors: in place for htmx, as a page of its own otherwise."""
    return page_or_fragment("documents/upload.html", "documents/_form.html", status,
                            project=project, document_form=form)


def _done(project_id: int, message: str, focus: str, *fragments: str,
          category: str = "success", status: int = 200):
    """After a change: the fresh form (after an upload, the list out of band) or the list
    (after a deletion), the message, and the focus on ``focus`` (an id); the section for a
    plain request."""
    project = _visible_or_404(project_id)  # read again: the commit expired what was loaded
    target, *oob = fragments
    return project_done(message, project, target, oob=tuple(oob),
                        anchor=dom_id(project, "documents"), focus=focus, category=category,
                        status=status,
                        **queries.section(current_user, project),
                        **section_forms(current_user, project))


@bp.post("/projects/<int:project_id>/documents")
@login_required
def upload(project_id: int):
    project = _visible_or_404(project_id)
    if not can_upload_document(current_user, project):
        abort(403)
    form = document_form(current_user, project)
    if not form.validate_on_submit():
        return _render_form(project, form, 422)
    try:
        ticket = once.claim("document", project.id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(project_url(project, dom_id(project, "documents")),
                             _("This document was already added: here it is."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _render_form(project, form, 422)
    try:
        checked = services.read_upload(
            form.file.data, current_app.config["DOCUMENT_MAX_BYTES"],
            current_app.config.get("DOCUMENT_MAX_UNPACKED_BYTES"))
    except services.UploadRefused as refusal:
        form.file.errors = [refusal.message]
        return _render_form(project, form, refusal.status)
    visibility = form.visibility.data if "visibility" in form else Visibility.SHARED.value
    document = services.add_document(project, current_user, checked, visibility)
    once.created(ticket, document)
    message = _("Document added: %(name)s.", name=document.filename)
    db.session.commit()
    return _done(project_id, message, dom_id(document), "documents/_form.html",
                 "documents/_list.html")


@bp.errorhandler(413)
def too_large(error):
    """A request body over MAX_CONTENT_LENGTH is refused by Werkzeug before the route runs
    (reading the form for the CSRF check). Say so in the terms of the upload form."""
    message = services.too_large_message(current_app.config["DOCUMENT_MAX_BYTES"])
    if getattr(error, "show_description", False):
        message = error.description
    project_id = (request.view_args or {}).get("project_id")
    if request.endpoint == "documents.upload" and current_user.is_authenticated and project_id:
        project = visible_project(current_user, project_id)
        if project is not None and can_upload_document(current_user, project):
            form = document_form(current_user, project, blank=True)
            form.file.errors = [message]
            return _render_form(project, form, 413)
    return render_error(413, message)


@bp.get("/projects/<int:project_id>/documents/<int:document_id>")
@login_required
def download(project_id: int, document_id: int):
    project = _visible_or_404(project_id)
    document = queries.document_for_download(current_user, project, document_id)
    if document is None:
        abort(404)
    response = send_file(
        BytesIO(document.content), mimetype=document.content_type, as_attachment=True,
        download_name=document.filename, etag=False, conditional=False, max_age=None,
        last_modified=document.created_at,
    )
    # The stored type as is: a text file's charset is the one read at upload (Werkzeug
    # would add "charset=utf-8" to any text type).
    response.headers["Content-Type"] = document.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/projects/<int:project_id>/documents/<int:document_id>/delete")
@login_required
def delete(project_id: int, document_id: int):
    project = _visible_or_404(project_id)
    document = queries.document_of(current_user, project, document_id)
    if document is None:
        # Deleted since the page was loaded (a colleague, another tab, Confirm pressed
        # twice): 404 saying so; htmx: with the list as it is now, the focus on its heading.
        deleted = queries.deleted_document_of(current_user, project, document_id)
        if deleted is None or not can_delete_document(current_user, project, deleted):
            abort(404)
        message = _("This document was already deleted.")
        if not is_htmx():
            fail(404, message)
        response = _done(project_id, message, dom_id(project, "documents") + "-title",
                         "documents/_list.html", category="info", status=404)
        response.headers["HX-Retarget"] = "#" + dom_id(project, "document-list")
        return response
    if not can_delete_document(current_user, project, document):
        fail(403, _("Only the pole's team, or the holder who added it while the project is "
                    "open, may delete this document."))
    if not DeleteDocumentForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return ask_first(_("Delete the document “%(name)s”?", name=document.filename),
                         project_url(project, dom_id(document)), action_label=_("Delete"))
    message = _("Document deleted: %(name)s.", name=document.filename)
    services.delete_document(document, current_user)
    db.session.commit()
    return _done(project_id, message, dom_id(project, "documents") + "-title",
                 "documents/_list.html")
