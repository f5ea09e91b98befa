"""The stage settings (/admin/stages, issue 13 part A): managers add, edit, reorder
(drag and drop, or « Monter » / « Descendre » forms), retire and bring back the support
stages. The writes are in ``stage_settings``, the reads in ``stage_queries``.

Answers: the page (plain) or the stage list fragment ``#stage-list`` (htmx). A change
answers the list with its message and the focus on what moved (``done``), a plain request a
303 back to the page; a refusal answers the list with its reason (409: stale order or
version, a busy or last stage; 422: a retired stage in the order). The add and edit forms
reload the page once saved (``HX-Redirect``); refused, they come back with their errors
(422) or the current values and the input kept (409).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import once
from ..dom import dom_id
from ..extensions import db
from ..htmx import done, hx_redirect, is_htmx, page_or_fragment, render
from ..i18n import localized
from ..models import Project, Stage, StageSettingChange
from ..permissions import manager_required
from ..reference import active_stages
from ..versions import StaleVersion
from . import bp
from .stage_forms import (
    AddStageForm,
    StageForm,
    StageMoveForm,
    StageOrderForm,
    StageVersionForm,
    parse_ids,
)
from .stage_queries import (
    BUSY_LINKS,
    busy_projects,
    name_taken,
    stage_history,
    stage_list,
    stage_or_none,
)
from .stage_settings import (
    LastActiveStage,
    NotActive,
    StageBusy,
    StaleOrder,
    add_stage,
    edit_stage,
    move_stage,
    reorder_stages,
    restore_stage,
    retire_stage,
)


@dataclass
class Busy:
    """The projects a refused retirement links to, and how many more there are."""

    stage: Stage
    projects: list[Project]
    others: int


def _field_labels() -> dict[str, str]:
    return {"name": _("French name"), "name_en": _("English name"),
            "description": _("French description"), "description_en": _("English description"),
            "wip_limit": _("WIP limit"), "stalled_days": _("stalled threshold"),
            "position": _("place"), "active": _("active")}


def change_text(change: StageSettingChange) -> str:
    """What a ``StageSettingChange`` did, in a sentence (the page's history)."""
    name = change.name
    if change.action == "created":
        return _("added “%(name)s”", name=name)
    if change.action == "moved":
        return _("moved “%(name)s” to place %(place)s", name=name, place=change.position)
    if change.action == "retired":
        return _("retired “%(name)s”", name=name)
    if change.action == "restored":
        return _("brought “%(name)s” back", name=name)
    labels = _field_labels()
    fields = ", ".join(labels.get(field, field) for field in change.changed_fields.split(",")
                       if field)
    return _("changed “%(name)s”: %(fields)s", name=name, fields=fields)


def _stage_or_404(stage_id: int) -> Stage:
    stage = stage_or_none(stage_id)
    if stage is None:
        abort(404)
    return stage


def _add_form(form: AddStageForm | None = None) -> AddStageForm:
    form = form if form is not None else AddStageForm(formdata=None)
    return form.set_places(active_stages(),
                           lambda stage: _("After “%(name)s”", name=localized(stage)))


def _page(status: int = 200, /, add_form: AddStageForm | None = None, **context):
    """The whole page (the list, the adding form, the latest changes)."""
    return render("admin/stages.html", status, listing=stage_list(),
                  add_form=add_form or _add_form(), history=stage_history(),
                  change_text=change_text, form_token=once.form_token, **context)


def _refused(message: str, status: int, busy: Busy | None = None):
    """A refused change: the list as it is now with the reason (htmx), or the page."""
    db.session.rollback()
    if is_htmx():
        return render("admin/_stage_list.html", status, listing=stage_list(), refusal=message,
                      busy=busy)
    return _page(status, refusal=message, busy=busy)


def _stale_order():
    return _refused(_("The order of the stages changed since this page was loaded (another "
                      "manager?). Here is the current order: move the stage again if "
                      "needed."), 409)


def _stale_stage():
    return _refused(_("This stage changed since this page was loaded. Here it is as it is "
                      "now: try again if needed."), 409)


def _retired_refusal():
    return _refused(_("This stage is retired: it has no place in the order. Bring it back "
                      "first."), 422)


def _done(message: str, focus: str, stage: Stage | None = None):
    return done(message, url_for("admin.stages", _anchor=dom_id(stage) if stage else None),
                "admin/_stage_list.html", focus=focus, listing=stage_list())


@bp.get("/stages")
@manager_required
def stages():
    """The stages in order, then the retired ones; for htmx, the list alone."""
    if is_htmx():
        return render("admin/_stage_list.html", listing=stage_list())
    return _page()


def _check_names(form: StageForm, exclude_id: int | None = None) -> bool:
    """Names unique among all stages (active or retired), ignoring case and accents."""
    valid = True
    for field in (form.name, form.name_en):
        if field.data and name_taken(field.name, field.data, exclude_id):
            field.errors = [*field.errors, _(
                "Another stage already has this name (capitals and accents aside): choose "
                "another one.")]
            valid = False
    return valid


def _add_refused(form: AddStageForm, status: int = 422):
    if is_htmx():
        return render("admin/_stage_add_form.html", status, add_form=form,
                      form_token=once.form_token)
    return _page(status, add_form=form)


@bp.post("/stages")
@manager_required
def stage_add():
    """Add a stage (a form accepted once), at the end or after a chosen stage."""
    form = _add_form(AddStageForm())
    if not form.validate_on_submit():
        return _add_refused(form)
    try:
        ticket = once.claim("stage")
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(url_for("admin.stages"), _("This stage was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _add_refused(form)
    if not _check_names(form):
        db.session.rollback()
        return _add_refused(form)
    try:
        stage = add_stage(current_user, form.values(), form.after_id())
    except NotActive:
        db.session.rollback()
        form = _add_form(AddStageForm())
        form.validate()
        form.place.errors = [*form.place.errors, _(
            "Choose one of the options offered: the list may have changed since the page "
            "was loaded.")]
        return _add_refused(form)
    once.created(ticket, stage)
    db.session.commit()
    flash(_("The stage “%(name)s” is added.", name=stage.name), "success")
    return hx_redirect(url_for("admin.stages", _anchor=dom_id(stage)))


def _edit_answer(stage: Stage, form: StageForm, status: int = 200, conflict: bool = False):
    return page_or_fragment("admin/stage_edit.html", "admin/_stage_form.html", status,
                            stage=stage, form=form, conflict=conflict)


@bp.route("/stages/<int:stage_id>/edit", methods=["GET", "POST"])
@manager_required
def stage_edit(stage_id: int):
    """A stage's names, descriptions, WIP limit and stalled threshold, saved from the
    version the page showed (409 with the input kept when someone saved since)."""
    stage = _stage_or_404(stage_id)
    if request.method == "GET":
        return _edit_answer(stage, StageForm(formdata=None, obj=stage))
    form = StageForm()
    if not form.validate_on_submit() or not _check_names(form, stage.id):
        return _edit_answer(stage, form, 422)
    try:
        changed = edit_stage(current_user, stage, form.seen_version(), form.values())
    except StaleVersion:
        db.session.rollback()
        stage = _stage_or_404(stage_id)
        form.show_version(stage.version)
        return _edit_answer(stage, form, 409, conflict=True)
    db.session.commit()
    if changed:
        flash(_("The stage “%(name)s” is saved.", name=stage.name), "success")
    else:
        flash(_("Nothing changed: the stage is as it was."), "info")
    return hx_redirect(url_for("admin.stages", _anchor=dom_id(stage)))


@bp.post("/stages/<int:stage_id>/move")
@manager_required
def stage_move(stage_id: int):
    """« Monter » / « Descendre »: one place up or down, from the order the page showed.
    The focus stays on the button pressed (or the other one at an end of the list)."""
    stage = _stage_or_404(stage_id)
    form = StageMoveForm()
    seen = parse_ids(form.order.data) if form.validate_on_submit() else None
    if seen is None:
        abort(400)
    direction = form.direction.data
    try:
        moved = move_stage(current_user, stage, direction, seen)
    except NotActive:
        return _retired_refusal()
    except StaleOrder:
        return _stale_order()
    db.session.commit()
    order = [row.stage.id for row in stage_list().active]
    place = order.index(stage.id) + 1
    at_end = (direction == "up" and place == 1) or (direction == "down" and place == len(order))
    focus = dom_id(stage, "down" if direction == "up" else "up") if at_end else \
        dom_id(stage, direction)
    if not moved:
        message = _("“%(name)s” is already first.", name=stage.name) if direction == "up" \
            else _("“%(name)s” is already last.", name=stage.name)
        return _done(message, focus, stage)
    return _done(_("“%(name)s” is now stage %(place)s of %(count)s.", name=stage.name,
                      place=place, count=len(order)), focus, stage)


@bp.post("/stages/order")
@manager_required
def stage_order():
    """Drag and drop: the whole new order (``ids``), from the one the page showed."""
    form = StageOrderForm()
    valid = form.validate_on_submit()
    new_order = parse_ids(form.ids.data) if valid else None
    seen = parse_ids(form.order.data) if valid else None
    if new_order is None or seen is None:
        abort(400)
    moved_ids = parse_ids(form.moved_id.data) if form.moved_id.data else None
    moved_id = moved_ids[0] if moved_ids else None
    try:
        stages_in_order = reorder_stages(current_user, new_order, seen, moved_id)
    except StaleOrder:
        return _stale_order()
    db.session.commit()
    moved = next((s for s in stages_in_order if s.id == moved_id), None)
    if moved is None:
        return _done(_("The stages are in the new order."), "stage-list")
    place = stages_in_order.index(moved) + 1
    return _done(_("“%(name)s” is now stage %(place)s of %(count)s.", name=moved.name,
                      place=place, count=len(stages_in_order)), dom_id(moved), moved)


@bp.post("/stages/<int:stage_id>/retire")
@manager_required
def stage_retire(stage_id: int):
    """Retire a stage: refused while projects (active or paused) are in it, and for the last
    active stage; the refusal says how many projects and links to them."""
    stage = _stage_or_404(stage_id)
    form = StageVersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        retire_stage(current_user, stage, form.version.data)
    except StaleVersion:
        return _stale_stage()
    except LastActiveStage:
        return _refused(_("“%(name)s” is the only active stage: the board and new ideas need "
                          "one. Add another stage before retiring this one.", name=stage.name),
                        409)
    except StageBusy as busy:
        db.session.rollback()
        stage = _stage_or_404(stage_id)
        projects = busy_projects(stage.id, BUSY_LINKS)
        message = ngettext(
            "“%(name)s” still holds %(num)d project (active or paused): move it to another "
            "stage, or close it, before retiring the stage.",
            "“%(name)s” still holds %(num)d projects (active or paused): move them to another "
            "stage, or close them, before retiring the stage.", busy.count, name=stage.name)
        return _refused(message, 409, Busy(stage, projects, max(busy.count - len(projects), 0)))
    db.session.commit()
    return _done(_("“%(name)s” is retired: its history is kept, and it can be brought back.",
                      name=stage.name), dom_id(stage), stage)


@bp.post("/stages/<int:stage_id>/restore")
@manager_required
def stage_restore(stage_id: int):
    """Bring a retired stage back, at the end of the order."""
    stage = _stage_or_404(stage_id)
    form = StageVersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        restore_stage(current_user, stage, form.version.data)
    except StaleVersion:
        return _stale_stage()
    db.session.commit()
    return _done(_("“%(name)s” is back, at the end of the order.", name=stage.name),
                    dom_id(stage), stage)

