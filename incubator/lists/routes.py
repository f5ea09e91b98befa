"""The reference lists (/admin/lists, managers only): the overview, one page per list
(add, rename FR/EN, move up / down, retire / bring back, delete a criterion never scored)
and the communes import. The committee criteria are edited here only.

Every mutation works as a plain form (303 back to the list's page, or the page again with
the errors: 422, 409) and with htmx (the list's fragment ``lists/_list.html`` with the focus
kept on the control used, or the fragment with errors and the same statuses)."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import once
from ..confirm import confirmed
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import done, hx_redirect, is_htmx, page_or_fragment, render
from ..imports import store
from ..imports.reading import FileRefused, file_name, read_table
from ..numbers import local_number
from ..params import parse_int
from ..permissions import manager_required
from ..versions import StaleVersion
from . import bp, communes, queries, services
from .forms import (
    ActiveForm,
    CommunesApplyForm,
    CommunesUploadForm,
    DeleteForm,
    ItemForm,
    MoveForm,
    RenameForm,
)

LIST_FRAGMENT = "lists/_list.html"


def _ids(text: str) -> list[int] | None:
    """``"3,1,2"`` → ``[3, 1, 2]``; None for anything else (empty, not numbers, repeats)."""
    ids = [parse_int(part) for part in text.split(",")]
    if any(each is None for each in ids) or len(set(ids)) != len(ids):
        return None
    return [each for each in ids if each is not None]


def _spec(slug: str) -> services.ListSpec:
    spec = services.LISTS.get(slug)
    if spec is None:
        abort(404)
    return spec


def _item(spec: services.ListSpec, item_id: int):
    """The item ``item_id`` of THIS list: an id read from another list's page is a 404."""
    found = queries.item(spec, item_id)
    if found is None:
        abort(404)
    return found


def _add_form(spec: services.ListSpec, blank: bool = False) -> ItemForm:
    """The add form of ``spec``'s list: empty (``blank``) or read from the request."""
    form = ItemForm(formdata=None) if blank else ItemForm()
    return form.fit(spec.name_max, spec.has_description)


def rename_prefix(item_id: int) -> str:
    """The prefix of an item's rename form (one per item on the page): ``"i42"``."""
    return f"i{item_id}"


def _rename_form(spec: services.ListSpec, item_id: int) -> RenameForm:
    return RenameForm(prefix=rename_prefix(item_id)).fit(spec.name_max, spec.has_description)


def _context(spec: services.ListSpec, add_form: ItemForm | None = None,
             rename: dict | None = None, conflict: int | None = None) -> dict:
    return {"spec": spec, "items": queries.items(spec), "usage": queries.usage_counts(spec),
            "history": queries.history(spec.slug), "change_text": change_text,
            "add_form": add_form or _add_form(spec, blank=True), "rename": rename or {},
            "conflict": conflict, "lists": services.LISTS, "rename_prefix": rename_prefix}


def _list_page(spec: services.ListSpec, status: int = 200, **context):
    return page_or_fragment("lists/list.html", LIST_FRAGMENT, status,
                            **_context(spec, **context))


def _done(spec: services.ListSpec, message: str, focus: str, category: str = "success"):
    return done(message, url_for("lists.show", slug=spec.slug), LIST_FRAGMENT, focus=focus,
                category=category, **_context(spec))


def change_text(change) -> str:
    """A history row in words, in the reader's language."""
    verbs = {"added": _("added"), "renamed": _("renamed"), "moved": _("moved"),
             "retired": _("retired"), "restored": _("brought back"),
             "imported": _("file imported"), "deleted": _("deleted")}
    detail = change.detail
    if change.change == "imported":
        try:
            counts = json.loads(detail)
            detail = _("%(file)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged, "
                       "%(errors)s lines left out", file=counts["file"], new=counts["new"],
                       changed=counts["changed"], unchanged=counts["unchanged"],
                       errors=counts["errors"])
        except (ValueError, KeyError, TypeError):
            pass
    return f"{verbs.get(change.change, change.change)} · {detail}" if detail else verbs.get(
        change.change, change.change)


@bp.get("/admin/lists")
@manager_required
def index():
    """Every list with its number of items, active and retired, and the latest changes."""
    counts = {slug: queries.items(spec) for slug, spec in services.LISTS.items()}
    return render("lists/index.html", lists=services.LISTS, counts=counts,
                  communes=queries.commune_count(), history=queries.history(),
                  change_text=change_text)


@bp.get("/admin/lists/<slug>")
@manager_required
def show(slug: str):
    """One list: its items in order with their names and use, the forms, its history. For
    htmx, the list's fragment alone."""
    return _list_page(_spec(slug))


@bp.post("/admin/lists/<slug>")
@manager_required
def add(slug: str):
    """Add an item (a once-only form: a replay points at the item it created)."""
    spec = _spec(slug)
    form = _add_form(spec)
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim(f"list-{spec.slug}")
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(url_for("lists.show", slug=spec.slug),
                                 _("This item was already added: here is the list."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if not valid:
        return _list_page(spec, 422, add_form=form)
    try:
        item = services.add_item(spec, current_user, **form.values())
    except services.ListError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]
        return _list_page(spec, 422, add_form=form)
    once.created(ticket, item)
    db.session.commit()
    return _done(spec, _("“%(name)s” added.", name=item.name), dom_id(item))


@bp.post("/admin/lists/<slug>/<int:item_id>/rename")
@manager_required
def rename(slug: str, item_id: int):
    """New names from the version the page showed (409 with the input kept otherwise)."""
    spec = _spec(slug)
    item = _item(spec, item_id)
    form = _rename_form(spec, item.id)
    if not form.validate_on_submit():
        return _list_page(spec, 422, rename={item.id: form})
    try:
        changed = services.rename_item(spec, item, current_user, form.seen_version(),
                                       **form.values())
    except StaleVersion:
        db.session.rollback()
        item = _item(spec, item_id)
        form.show_version(item.version)
        return _list_page(spec, 409, rename={item.id: form}, conflict=item.id)
    except services.ListError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]
        return _list_page(spec, 422, rename={item.id: form})
    db.session.commit()
    if not changed:
        return _done(spec, _("Nothing changed."), dom_id(item), "info")
    return _done(spec, _("Renamed: “%(name)s”.", name=item.name), dom_id(item))


@bp.post("/admin/lists/<slug>/<int:item_id>/move")
@manager_required
def move(slug: str, item_id: int):
    """One place up or down; the focus stays on the button pressed."""
    spec = _spec(slug)
    item = _item(spec, item_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    seen = _ids(form.order.data)
    if seen is None:
        abort(400)
    direction = form.direction.data
    focus = dom_id(item, f"move-{direction}")
    try:
        moved = services.move_item(spec, item, current_user, direction, seen)
    except services.StaleOrder:
        db.session.rollback()
        message = _("The order of this list changed since this page was loaded (another "
                    "manager?). Here is the current order: move the item again if needed.")
        if is_htmx():
            return done(message, url_for("lists.show", slug=spec.slug), LIST_FRAGMENT,
                        focus=focus, category="warning", status=409, **_context(spec))
        flash(message, "warning")
        return _list_page(spec, 409)
    if not moved:
        db.session.rollback()
        message = (_("“%(name)s” is already first.", name=item.name) if direction == "up"
                   else _("“%(name)s” is already last.", name=item.name))
        return _done(spec, message, focus, "info")
    db.session.commit()
    return _done(spec, _("“%(name)s” moved.", name=item.name), focus)


@bp.post("/admin/lists/<slug>/<int:item_id>/active")
@manager_required
def set_active(slug: str, item_id: int):
    """Retire (no longer offered for new records; old ones keep it) or bring back."""
    spec = _spec(slug)
    item = _item(spec, item_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    services.set_active(spec, item, current_user, active)
    db.session.commit()
    message = (_("“%(name)s” is offered again.", name=item.name) if active else
               _("“%(name)s” is retired: no longer offered, kept on old records.",
                 name=item.name))
    return _done(spec, message, dom_id(item, "active"))


@bp.post("/admin/lists/<slug>/<int:item_id>/delete")
@manager_required
def delete(slug: str, item_id: int):
    """Delete, after confirmation (``confirm=1``) and from the version the page showed, an
    item of a list whose unused items may go (criteria never scored). Refused: 409 (used,
    or changed since), 404 (a list whose items are only retired, or not this list's)."""
    spec = _spec(slug)
    if not spec.deletable:
        abort(404)
    item = _item(spec, item_id)
    form = DeleteForm()
    if not form.validate_on_submit() or not confirmed():
        abort(400)
    try:
        name = services.delete_item(spec, item, current_user, form.version.data)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed “%(name)s” since you opened the page. Look at it again "
                    "before deleting it.", name=item.name))
    except services.ListError as error:
        db.session.rollback()
        fail(409, error.message)
    db.session.commit()
    return _done(spec, _("“%(name)s” deleted.", name=name), "reference-list")


# The communes reference -------------------------------------------------------------------


def _max_mb() -> str:
    return local_number(current_app.config["IMPORT_MAX_BYTES"] / 1048576)


def _communes_page(form: CommunesUploadForm | None = None, status: int = 200, **context):
    return render("lists/communes.html", status, form=form or CommunesUploadForm(formdata=None),
                  count=queries.commune_count(), history=queries.history("communes"),
                  change_text=change_text, max_mb=_max_mb(), **context)


@bp.get("/admin/lists/communes")
@manager_required
def communes_page():
    """The communes reference: how many, the upload form, the imports made."""
    return _communes_page()


@bp.post("/admin/lists/communes")
@manager_required
def communes_upload():
    """Read the file and keep it for the preview (nothing written to the reference)."""
    form = CommunesUploadForm()
    if not form.validate_on_submit():
        return _communes_page(form, 422)
    storage = form.file.data
    if storage is None or not storage.filename:
        form.file.errors = [_("Choose the communes file.")]
        return _communes_page(form, 422)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        form.file.errors = [_("This file is larger than %(limit)s MB. Keep only the "
                              "communes you need, then send it again.", limit=_max_mb())]
        return _communes_page(form, 413)
    try:
        table = read_table(data)
        communes.read(table)  # the columns checked now, not after the preview
    except FileRefused as refused:
        form.file.errors = [refused.message]
        return _communes_page(form, refused.status)
    token = store.keep(current_user.id, file_name(storage.filename), table)
    return hx_redirect(url_for("lists.communes_preview", token=token))


@bp.get("/admin/lists/communes/preview/<token>")
@manager_required
def communes_preview(token: str):
    """What applying the kept file would do: new, changed, unchanged, lines left out."""
    upload = store.load(token, current_user.id)
    if upload is None:
        abort(404)
    preview = communes.read(upload.table)
    return render("lists/communes_preview.html", upload=upload, preview=preview,
                  form=CommunesApplyForm(formdata=None, data={"token": token}))


@bp.post("/admin/lists/communes/apply")
@manager_required
def communes_apply():
    """Apply the previewed file, once (the form's token; the kept file is deleted)."""
    form = CommunesApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        once.claim("communes-import")
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(url_for("lists.communes_page"),
                             _("This file was already imported: here is the result."))
    except once.InvalidFormToken:
        abort(400)
    upload = store.load(form.token.data, current_user.id)
    if upload is None:
        db.session.rollback()
        return once.replayed(url_for("lists.communes_page"),
                             _("This file is no longer kept (imported already, or sent more "
                               "than a day ago): send it again."))
    preview = communes.read(upload.table)
    created, updated = communes.apply(preview, current_user, upload.filename)
    db.session.commit()
    store.discard(upload.token)
    flash(_("Communes imported: %(new)s new, %(changed)s changed.", new=created,
            changed=updated), "success")
    return hx_redirect(url_for("lists.communes_page"))
