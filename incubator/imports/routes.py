"""Imports of organisations (staff: ``can_edit_directory``).

GET /members/imports: the upload form and the history of imports. POST there: the file is
read (size checked first, then format and encoding) and kept for the preview (store.py);
nothing is written to the directory. GET /members/imports/preview/<token>: what importing
would do, row by row, with the column mapping changeable (a GET form; htmx swaps the preview
beside it). POST there: the import, once (one-time form token), in one transaction. GET
/members/imports/<id>: what an import did; POST …/undo: undo it after confirmation.
"""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..errors import fail, render_error
from ..extensions import db
from ..htmx import hx_redirect, page_or_fragment, render
from ..i18n import de
from ..numbers import local_number
from ..params import query_int
from ..permissions import can_edit_directory
from ..versions import StaleVersion
from . import bp, queries, services, store
from .forms import UploadForm, column_field, mapping_from
from .mapping import FIELD_LABELS, SIRENE_COLUMNS, is_sirene, mapping_errors
from .reading import FileRefused, file_name, read_table

ROWS_PER_PAGE = 100
# The mapping shows a column's name and first cells shortened to these many characters: a
# 10,000-character cell would otherwise push the field's menu thousands of pixels away.
SAMPLE_CHARS = 40
HEADER_CHARS = 60


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with “…” when cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def outcome_labels() -> dict[str, str]:
    return {services.CREATED: _("created"), services.UPDATED: _("updated"),
            services.UNCHANGED: _("unchanged"), services.REFUSED: _("refused"),
            services.SKIPPED: _("skipped")}


def _may_import() -> None:
    if not can_edit_directory(current_user):
        abort(403)


def too_large_message() -> str:
    limit = current_app.config["IMPORT_MAX_BYTES"] / (1024 * 1024)
    return _("This file is larger than %(limit)s MB, the most an import takes. Keep only "
             "the columns and rows to import, or split it, then send it again.",
             limit=local_number(limit, 0))


def _index_page(form: UploadForm, status: int = 200):
    history = queries.history_page(query_int("page", 1))
    return render("imports/index.html", status, form=form, history=history,
                  max_mb=local_number(current_app.config["IMPORT_MAX_BYTES"] / 1048576))


@bp.get("/members/imports")
@login_required
def index():
    _may_import()
    return _index_page(UploadForm(formdata=None))


@bp.post("/members/imports")
@login_required
def upload():
    """Read the file and keep its table for the preview (nothing written to the database)."""
    _may_import()
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, 422)
    storage = form.file.data
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        form.file.errors = [too_large_message()]
        return _index_page(form, 413)
    try:
        table = read_table(data)
    except FileRefused as refused:
        form.file.errors = [refused.message]
        return _index_page(form, refused.status)
    token = store.keep(current_user.id, file_name(storage.filename), table)
    return hx_redirect(url_for("imports.preview", token=token))


@bp.errorhandler(413)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH is refused by Werkzeug before the route runs: say so
    in the terms of the import form."""
    if request.endpoint == "imports.upload" and current_user.is_authenticated \
            and can_edit_directory(current_user):
        form = UploadForm(formdata=None)
        form.file.errors = [too_large_message()]
        return _index_page(form, 413)
    return render_error(413, too_large_message())


def _upload(token: str) -> store.Upload:
    upload = store.load(token, current_user.id)
    if upload is None:
        fail(404, _("This preview is no longer available: it was imported, or it is more "
                    "than a day old. Send the file again."))
    return upload


def _preview(upload: store.Upload, source, status: int = 200, form_error: str | None = None):
    table = upload.table
    sirene = is_sirene(table.header)
    mapping = None if sirene else mapping_from(source, table.header)
    errors = [] if sirene else mapping_errors(mapping)
    if form_error:
        errors.append(form_error)
    archive_closed = source.get("archive_closed") == "1"
    planned = None if errors and not form_error else services.plan(
        table, mapping, archive_closed=archive_closed)
    show = request.args.get("show", "")
    show = show if show in services.OUTCOMES else ""
    rows = [row for row in planned.rows if not show or row.outcome == show] if planned else []
    total = len(rows)
    pages = max(1, -(-total // ROWS_PER_PAGE))
    page = min(query_int("page", 1), pages)
    samples = [[shorten(cells[index], SAMPLE_CHARS) for _line, cells in table.rows[:3]
                if index < len(cells) and cells[index]] for index in range(len(table.header))]
    counts = planned.counts if planned else {}
    count_labels = {
        services.CREATED: ngettext("%(num)d created", "%(num)d created",
                                   counts.get(services.CREATED, 0)),
        services.UPDATED: ngettext("%(num)d updated", "%(num)d updated",
                                   counts.get(services.UPDATED, 0)),
        services.UNCHANGED: ngettext("%(num)d unchanged", "%(num)d unchanged",
                                     counts.get(services.UNCHANGED, 0)),
        services.REFUSED: ngettext("%(num)d refused", "%(num)d refused",
                                   counts.get(services.REFUSED, 0)),
        services.SKIPPED: ngettext("%(num)d skipped", "%(num)d skipped",
                                   counts.get(services.SKIPPED, 0)),
    }
    query = {column_field(index): name for index, name in enumerate(mapping or [])}
    if archive_closed:
        query["archive_closed"] = "1"
    context = {
        "query": query, "outcome_labels": outcome_labels(), "count_labels": count_labels,
        "row_page": queries.Page(page, ROWS_PER_PAGE, total),
        "delimiter_label": {";": ";", ",": ",", "\t": _("tab")}.get(table.delimiter, ""),
        "upload": upload, "sirene": sirene, "mapping": mapping, "errors": errors,
        "plan": planned, "rows": rows[(page - 1) * ROWS_PER_PAGE: page * ROWS_PER_PAGE],
        "show": show, "page": page, "pages": pages, "shown_total": total,
        "archive_closed": archive_closed, "samples": samples, "field_labels": FIELD_LABELS,
        "sirene_columns": SIRENE_COLUMNS, "column_field": column_field,
        "outcomes": services.OUTCOMES,
        "headers": [shorten(name, HEADER_CHARS) for name in table.header],
    }
    if errors and status == 200:
        status = 422
    return page_or_fragment("imports/preview.html", "imports/_preview.html", status,
                            **context)


@bp.get("/members/imports/preview/<token>")
@login_required
def preview(token: str):
    """What importing the kept file would do, with the mapping of the query string."""
    _may_import()
    return _preview(_upload(token), request.args)


@bp.post("/members/imports/preview/<token>")
@login_required
def confirm(token: str):
    """Import the kept file with the mapping sent, once."""
    _may_import()
    try:
        ticket = once.claim("organisation_import")
    except once.AlreadyUsed as used:
        db.session.rollback()
        if used.id is not None:
            return once.replayed(url_for("imports.show", import_id=used.id),
                                 _("This file was already imported: here is the import."))
        fail(409, _("This import was already sent. Look at the history of imports before "
                    "sending it again."))
    except once.InvalidFormToken:
        db.session.rollback()
        return _preview(_upload(token), request.form, 422, once.stale_message())
    upload = _upload(token)
    sirene = is_sirene(upload.table.header)
    mapping = None if sirene else mapping_from(request.form, upload.table.header)
    if mapping is not None and mapping_errors(mapping):
        db.session.rollback()
        return _preview(upload, request.form)
    try:
        record = services.run_import(current_user, upload.table, mapping, upload.filename,
                                     archive_closed=request.form.get("archive_closed") == "1")
    except StaleVersion:
        db.session.rollback()
        fail(409, _("An organisation of the file changed while it was being imported, so "
                    "nothing was imported. Look at the preview again and import it."))
    once.created(ticket, record)
    db.session.commit()
    store.discard(token)
    flash(_done_message(record), "success")
    return hx_redirect(url_for("imports.show", import_id=record.id))


def _done_message(record) -> str:
    return " ".join([
        _("Import done:"),
        ngettext("%(num)d organisation created,", "%(num)d organisations created,",
                 record.created_count),
        ngettext("%(num)d updated,", "%(num)d updated,", record.updated_count),
        ngettext("%(num)d unchanged,", "%(num)d unchanged,", record.unchanged_count),
        ngettext("%(num)d refused,", "%(num)d refused,", record.refused_count),
        ngettext("%(num)d skipped.", "%(num)d skipped.", record.skipped_count),
    ])


def _record(import_id: int) -> queries.ImportRow:
    found = queries.import_row(import_id)
    if found is None:
        abort(404)
    return found


def _show(found: queries.ImportRow, status: int = 200, blockers=None):
    changes = queries.changes_page(found.record.id, query_int("page", 1))
    return render("imports/show.html", status, found=found, record=found.record,
                  changes=changes, blockers=blockers or [], field_labels=FIELD_LABELS)


@bp.get("/members/imports/<int:import_id>")
@login_required
def show(import_id: int):
    _may_import()
    return _show(_record(import_id))


@bp.post("/members/imports/<int:import_id>/undo")
@login_required
def undo(import_id: int):
    """Undo an import after confirmation; refused (409) with the organisations that
    changed since."""
    _may_import()
    found = _record(import_id)
    back = url_for("imports.show", import_id=import_id)
    if found.record.undone_at is not None:
        flash(_("This import was already undone."), "info")
        return hx_redirect(back)
    if not confirmed():
        return ask_first(_("Undo the import %(of_file)s? The organisations it created are "
                           "deleted and the fields it changed are put back.",
                           of_file=de(found.record.filename)), back, action_label=_("Undo"))
    try:
        services.undo_import(found.record, current_user)
    except services.AlreadyUndone:
        db.session.rollback()
        flash(_("This import was already undone."), "info")
        return hx_redirect(back)
    except services.UndoRefused as refused:
        db.session.rollback()
        return _show(_record(import_id), 409, refused.blockers)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("An organisation of this import changed while undoing it, so nothing "
                    "was undone. Look at the import again."))
    db.session.commit()
    flash(_("Import undone."), "success")
    return hx_redirect(back)
