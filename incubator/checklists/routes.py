"""Exit checklists: the managers' page of a stage's criteria (``/admin/stages/<id>/checklist``:
add, rename, reorder, retire, bring back) and the ticks on a project's page.

Every change answers htmx with the changed fragment (the criteria list, or the ticked line)
and a plain request with a 303; a refused form comes back with the user's input (422), a
stale one with the current version (409). See docs/checklists.md.
"""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import once
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import done, is_htmx, page_or_fragment, project_done, project_or_abort, render
from ..i18n import localized
from ..models import Project, Stage, StageCriterion
from ..permissions import can_tick_criteria, manager_required
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import CriterionForm, VersionForm

# Managers' page ----------------------------------------------------------------------

#: How the page's history names each change (models.CriterionAction codes).
ACTION_LABELS = {
    "added": _l("Added"),
    "renamed": _l("Renamed"),
    "moved": _l("Moved"),
    "retired": _l("Retired"),
    "restored": _l("Brought back"),
}


def _stage_or_404(stage_id: int) -> Stage:
    stage = db.session.get(Stage, stage_id)
    if stage is None:
        abort(404)
    return stage


def _criterion_or_404(stage: Stage, criterion_id: int) -> StageCriterion:
    """The criterion of this stage (an id taken from another stage's page: 404)."""
    criterion = queries.criterion_of_stage(stage.id, criterion_id)
    if criterion is None:
        abort(404)
    return criterion


def _page_url(stage: Stage) -> str:
    return url_for("checklists.edit", stage_id=stage.id)


def _context(stage: Stage, *, add_form: CriterionForm | None = None,
             rename: dict[int, CriterionForm] | None = None, conflict: bool = False) -> dict:
    return {"stage": stage, "criteria": queries.stage_criteria(stage.id),
            "add_form": add_form or CriterionForm(formdata=None),
            "rename": rename or {}, "conflict": conflict,
            "changes": queries.changes(stage.id), "stages": queries.all_stages(),
            "action_labels": ACTION_LABELS}


def _list(stage: Stage, status: int = 200, **context):
    """The page, or (htmx) the criteria list alone."""
    return page_or_fragment("checklists/edit.html", "checklists/_criteria.html", status,
                            **_context(stage, **context))


@bp.get("/admin/stages/<int:stage_id>/checklist")
@manager_required
def edit(stage_id: int):
    """A stage's exit checklist: its criteria, active and retired, and their history."""
    return _list(_stage_or_404(stage_id))


@bp.post("/admin/stages/<int:stage_id>/checklist")
@manager_required
def add(stage_id: int):
    """Add a criterion (once per rendered form), last of the checklist."""
    stage = _stage_or_404(stage_id)
    form = CriterionForm()
    if not form.validate_on_submit():
        return render("checklists/edit.html", 422, **_context(stage, add_form=form))
    try:
        ticket = once.claim("stage-criterion", stage.id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(_page_url(stage), _("This criterion was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return render("checklists/edit.html", 422, **_context(stage, add_form=form))
    try:
        criterion = services.add_criterion(current_user, stage, form.name.data,
                                           form.name_en.data or "")
    except services.ChecklistError as error:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(error)]
        return render("checklists/edit.html", 422, **_context(stage, add_form=form))
    once.created(ticket, criterion)
    db.session.commit()
    return done(_("Criterion “%(name)s” added.", name=criterion.name), _page_url(stage))


def _version(form: VersionForm | CriterionForm) -> int:
    """The version the page showed; a page that sent none or garbage is refused (400)."""
    if "version" not in request.form or form.version.data is None or form.version.errors:
        fail(400, _("This page is out of date or was altered: reload it, then try again."))
    return form.version.data


def _done(stage: Stage, message: str, focus: str):
    """A change of the list: htmx gets the list (focus back on the control used)."""
    return done(message, _page_url(stage), "checklists/_criteria.html", focus=focus,
                **_context(stage))


def _stale(stage: Stage):
    db.session.rollback()
    message = _("Someone changed this checklist in the meantime: it is shown as it is now. "
                "Check it, then try again.")
    if not is_htmx():
        fail(409, message)
    return _list(stage, 409, conflict=True)


@bp.post("/admin/stages/<int:stage_id>/checklist/<int:criterion_id>/rename")
@manager_required
def rename(stage_id: int, criterion_id: int):
    """Rename a criterion in French and English from the version the page showed (409
    with the input kept when someone changed it since)."""
    stage = _stage_or_404(stage_id)
    criterion = _criterion_or_404(stage, criterion_id)
    form = CriterionForm(prefix=f"c{criterion_id}")
    if not form.validate_on_submit():
        return _list(stage, 422, rename={criterion.id: form})
    # The prefixed version field (Form.seen_version reads the unprefixed one).
    seen = form.version.data if form.version.name in request.form else None
    try:
        changed = services.rename_criterion(current_user, criterion, seen, form.name.data,
                                            form.name_en.data or "")
    except StaleVersion:
        db.session.rollback()
        criterion = _criterion_or_404(stage, criterion_id)
        form.show_version(criterion.version)
        return _list(stage, 409, rename={criterion.id: form}, conflict=True)
    except services.ChecklistError as error:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(error)]
        return _list(stage, 422, rename={criterion.id: form})
    db.session.commit()
    message = (_("Criterion renamed: “%(name)s”.", name=criterion.name) if changed
               else _("Nothing changed: the names are as they were."))
    return _done(stage, message, dom_id(criterion))


@bp.post("/admin/stages/<int:stage_id>/checklist/<int:criterion_id>/move")
@manager_required
def move(stage_id: int, criterion_id: int):
    """Move a criterion one place up or down (``direction``)."""
    stage = _stage_or_404(stage_id)
    criterion = _criterion_or_404(stage, criterion_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        fail(400, _("This page is out of date or was altered: reload it, then try again."))
    form = VersionForm()
    form.validate()
    seen = _version(form)
    try:
        services.move_criterion(current_user, criterion, seen, -1 if direction == "up" else 1)
    except StaleVersion:
        return _stale(stage)
    db.session.commit()
    return _done(stage, _("Criteria reordered."), dom_id(criterion, direction))


@bp.post("/admin/stages/<int:stage_id>/checklist/<int:criterion_id>/active")
@manager_required
def set_active(stage_id: int, criterion_id: int):
    """Retire (``active`` 0) or bring back (1) a criterion: retired, it is no longer asked
    for, and old ticks and moves still name it."""
    stage = _stage_or_404(stage_id)
    criterion = _criterion_or_404(stage, criterion_id)
    if request.form.get("active") not in ("0", "1"):
        fail(400, _("This page is out of date or was altered: reload it, then try again."))
    active = request.form["active"] == "1"
    form = VersionForm()
    form.validate()
    seen = _version(form)
    try:
        services.set_active(current_user, criterion, seen, active)
    except StaleVersion:
        return _stale(stage)
    db.session.commit()
    message = (_("Criterion “%(name)s” brought back.", name=criterion.name) if active
               else _("Criterion “%(name)s” retired.", name=criterion.name))
    return _done(stage, message, dom_id(criterion, "active"))


# A project's ticks -------------------------------------------------------------------


@bp.post("/projects/<int:project_id>/checklist/<int:criterion_id>")
@login_required
def tick(project_id: int, criterion_id: int):
    """Tick (``ticked`` 1) or untick (0) a criterion of the project's current stage, from
    the state the page showed (``version``, 0: never ticked). htmx gets the line back with
    the focus on its box; a plain request goes back to the project's checklist."""
    project = project_or_abort(project_id, can_tick_criteria)
    line = queries.checklist_line(project, criterion_id)
    if line is None:  # not a criterion of the project's stage now (or retired)
        abort(404)
    if request.form.get("ticked") not in ("0", "1"):
        fail(400, _("This page is out of date or was altered: reload it, then try again."))
    ticked = request.form["ticked"] == "1"
    form = VersionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            fail(400, form.csrf_token.errors[0])
        fail(400, _("This page is out of date or was altered: reload it, then try again."))
    try:
        services.tick(current_user, project, line.criterion, form.version.data, ticked)
    except StaleVersion:
        db.session.rollback()
        return _tick_conflict(project, criterion_id)
    db.session.commit()
    line = queries.checklist_line(project, criterion_id)
    name = localized(line.criterion)
    message = (_("“%(name)s” ticked.", name=name) if ticked
               else _("“%(name)s” unticked.", name=name))
    return project_done(message, project, "checklists/_criterion.html",
                        anchor=dom_id(project, "checklist"),
                        focus=dom_id(line.criterion, "tick"), line=line, can_tick=True)


def _tick_conflict(project: Project, criterion_id: int):
    """Someone ticked or unticked it since the page was shown: 409, the line as it is now."""
    message = _("Someone changed this criterion in the meantime: it is shown as it is now. "
                "Check it, then try again.")
    if not is_htmx():
        fail(409, message)
    project = project_or_abort(project.id, can_tick_criteria)
    line = queries.checklist_line(project, criterion_id)
    if line is None:
        abort(404)
    return done(message, url_for("projects.show", project_id=project.id),
                "checklists/_criterion.html", status=409, category="error",
                focus=dom_id(line.criterion, "tick"), line=line, can_tick=True, project=project)
