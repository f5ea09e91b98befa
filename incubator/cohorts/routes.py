"""The cohorts pages: /admin/cohorts (managers: the list, add once-only, edit version-checked,
archive or bring back, and the history of every change); /cohorts and /cohorts/<id> (staff:
a cohort's projects, the search to add one, remove); /projects/<id>/cohorts (staff: the
project page's section adds and removes the project).

A refused form comes back with the user's input and its errors (422), or the conflict (409).
Adding and removing a project answer htmx with the changed section (and the message out of
band); a plain request gets a 303 to the page.
"""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..errors import fail
from ..extensions import db
from ..htmx import (
    done,
    hx_redirect,
    is_htmx,
    page_or_fragment,
    project_done,
    project_or_abort,
    render,
)
from ..models import Cohort
from ..params import parse_int
from ..permissions import can_edit_cohorts, can_follow_cohorts, can_manage_project_cohorts
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import CohortForm


@bp.app_template_global("cohort_change_labels")
def change_labels(fields: str) -> str:
    """What a change of a cohort did, in words (``CohortVersion.changed_fields``)."""
    labels = {"name": _("French name"), "name_en": _("English name"),
              "description": _("description"), "starts_on": _("first day"),
              "ends_on": _("last day"), "created": _("created"), "archived": _("archived"),
              "unarchived": _("brought back")}
    return ", ".join(labels.get(name, name) for name in fields.split(",") if name)


def _staff() -> None:
    if not can_follow_cohorts(current_user):
        abort(403)


def _manager() -> None:
    if not can_edit_cohorts(current_user):
        abort(403)


def _cohort(cohort_id: int) -> Cohort:
    found = queries.cohort(cohort_id)
    if found is None:
        abort(404)
    return found


def _admin_url() -> str:
    return url_for("cohorts.admin")


def _show_url(cohort_id: int, anchor: str | None = None) -> str:
    return url_for("cohorts.show", cohort_id=cohort_id, _anchor=anchor)


# Managers: /admin/cohorts


def _admin_page(form: CohortForm | None = None, status: int = 200) -> Response:
    form = form or CohortForm(formdata=None)
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("cohorts/admin.html", status, form=form, listing=queries.listing(),
                  history=queries.history())


@bp.get("/admin/cohorts")
@login_required
def admin():
    """The cohorts, the form to add one, and the history of every change."""
    _manager()
    return _admin_page()


@bp.post("/admin/cohorts/new")
@login_required
def create():
    _manager()
    form = CohortForm()
    if not form.validate_on_submit():
        return _admin_page(form)
    try:
        ticket = once.claim("cohort")
    except once.AlreadyUsed as used:
        db.session.rollback()
        if used.kind == "cohort" and used.id is not None:
            return once.replayed(_show_url(used.id),
                                 _("This cohort was already created: here it is."))
        fail(409, _("This form was already sent. Look at the cohorts before sending it "
                    "again."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _admin_page(form, 422)
    try:
        cohort = services.create_cohort(current_user, **form.values())
    except services.CohortError as error:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(error)]
        return _admin_page(form, 422)
    once.created(ticket, cohort)
    db.session.commit()
    flash(_("Cohort created."), "success")
    return hx_redirect(_admin_url())


def _form_page(form: CohortForm, cohort: Cohort, status: int = 200,
               conflict: bool = False) -> Response:
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("cohorts/form.html", status, form=form, cohort=cohort, conflict=conflict)


@bp.route("/admin/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cohort_id: int):
    _manager()
    cohort = _cohort(cohort_id)
    if request.method == "GET":
        return _form_page(CohortForm(obj=cohort, formdata=None), cohort)
    form = CohortForm()
    if not form.validate_on_submit():
        return _form_page(form, cohort)
    try:
        changed = services.update_cohort(cohort, current_user, form.seen_version(),
                                         **form.values())
    except StaleVersion:
        db.session.rollback()
        cohort = _cohort(cohort_id)
        form.show_version(cohort.version)
        return _form_page(form, cohort, 409, conflict=True)
    except services.CohortError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _form_page(form, _cohort(cohort_id), 422)
    db.session.commit()
    flash(_("Changes saved.") if changed else _("Nothing to save: nothing changed."),
          "success" if changed else "info")
    return hx_redirect(_admin_url())


@bp.post("/admin/cohorts/<int:cohort_id>/archive")
@login_required
def archive(cohort_id: int):
    """Archive (archived=1) or bring back (archived=0), after confirmation."""
    _manager()
    cohort = _cohort(cohort_id)
    archived = request.form.get("archived") == "1"
    if archived == cohort.is_archived:
        flash(_("Already archived.") if archived else _("Already in the list."), "info")
        return hx_redirect(_admin_url())
    if not confirmed():
        question = (_("Archive %(name)s? It leaves the filters but keeps its projects and "
                      "figures.", name=cohort.name) if archived else
                    _("Bring %(name)s back into the list?", name=cohort.name))
        return ask_first(question, _admin_url(),
                         action_label=_("Archive") if archived else _("Unarchive"))
    try:
        services.set_archived(cohort, current_user, archived,
                              parse_int(request.form.get("version")))
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this cohort since you opened it. Look at it again."))
    db.session.commit()
    flash(_("Cohort archived.") if archived else _("Cohort unarchived."), "success")
    return hx_redirect(_admin_url())


# Staff: a cohort's page and its projects


@bp.get("/cohorts")
@login_required
def index():
    """Every cohort with its number of projects (staff)."""
    _staff()
    return render("cohorts/index.html", listing=queries.listing())


def _show(cohort: Cohort, status: int = 200, error: str | None = None) -> Response:
    q = request.args.get("q", request.form.get("q", "")).strip()[:100]
    links = queries.members(cohort.id)
    candidates = queries.search_projects(q, [link.project_id for link in links]) if q else []
    return page_or_fragment("cohorts/show.html", "cohorts/_candidates.html", status,
                            cohort=cohort, links=links, q=q, candidates=candidates,
                            error=error, history=queries.history(cohort.id))


@bp.get("/cohorts/<int:cohort_id>")
@login_required
def show(cohort_id: int):
    """A cohort: its projects (stage, status, advisor), the search of projects to add
    (htmx: the results only, ``?q=``), its history."""
    _staff()
    return _show(_cohort(cohort_id))


def _done(message: str, cohort: Cohort) -> Response:
    links = queries.members(cohort.id)
    return done(message, _show_url(cohort.id, "cohort-members"), "cohorts/_members.html",
                cohort=cohort, links=links)


@bp.post("/cohorts/<int:cohort_id>/projects")
@login_required
def add_project(cohort_id: int):
    _staff()
    cohort = _cohort(cohort_id)
    chosen = parse_int(request.form.get("project_id"))
    project = queries.project(chosen) if chosen is not None else None
    if project is None:
        abort(404)
    try:
        services.add_project(current_user, cohort, project)
    except services.CohortError as error:
        db.session.rollback()
        response = _show(_cohort(cohort_id), 422, str(error))
        if is_htmx():  # the reason goes with the search results, not over the projects
            response.headers["HX-Retarget"] = "#cohort-candidates"
            response.headers["HX-Reswap"] = "outerHTML"
        return response
    db.session.commit()
    return _done(_("%(title)s joined the cohort.", title=project.title), cohort)


@bp.post("/cohorts/<int:cohort_id>/projects/<int:project_id>/remove")
@login_required
def remove_project(cohort_id: int, project_id: int):
    _staff()
    cohort = _cohort(cohort_id)
    link = next((link for link in queries.members(cohort_id) if link.project_id == project_id),
                None)
    if link is None:
        flash(_("This project is no longer in the cohort."), "info")
        return hx_redirect(_show_url(cohort_id, "cohort-members"))
    if not confirmed():
        return ask_first(_("Take %(title)s out of the cohort %(name)s?",
                           title=link.project.title, name=cohort.name),
                         _show_url(cohort_id), action_label=_("Take out"))
    title = link.project.title
    services.remove_project(current_user, cohort, project_id)
    db.session.commit()
    return _done(_("%(title)s left the cohort.", title=title), cohort)


# The project page's section


SECTION = "cohorts/_project_section.html"


def _section(project) -> dict:
    """The project page's cohorts section's context (two statements)."""
    return queries.section(current_user, project)


@bp.post("/projects/<int:project_id>/cohorts")
@login_required
def join(project_id: int):
    """The project joins the cohort chosen in its page's list (``cohort_id``)."""
    project = project_or_abort(project_id, can_manage_project_cohorts)
    chosen = parse_int(request.form.get("cohort_id"))
    cohort = queries.cohort(chosen) if chosen is not None else None
    if cohort is None:
        fail(422, _("Choose a cohort in the list: the list may have changed since the page "
                    "was loaded."))
    try:
        services.add_project(current_user, cohort, project)
    except services.CohortError as error:
        db.session.rollback()
        fail(422, str(error))
    db.session.commit()
    message = _("The project joined the cohort %(name)s.", name=cohort.name)
    return project_done(message, project, SECTION, anchor="project-cohorts",
                        **_section(project))


@bp.post("/projects/<int:project_id>/cohorts/<int:cohort_id>/remove")
@login_required
def leave(project_id: int, cohort_id: int):
    project = project_or_abort(project_id, can_manage_project_cohorts)
    cohort = _cohort(cohort_id)
    if not confirmed():
        return ask_first(_("Take %(title)s out of the cohort %(name)s?",
                           title=project.title, name=cohort.name),
                         url_for("projects.show", project_id=project_id,
                                 _anchor="project-cohorts"),
                         action_label=_("Take out"))
    if not services.remove_project(current_user, cohort, project_id):
        db.session.rollback()
        return project_done(_("This project is no longer in the cohort."), project,
                            SECTION, anchor="project-cohorts", **_section(project))
    db.session.commit()
    message = _("The project left the cohort %(name)s.", name=cohort.name)
    return project_done(message, project, SECTION, anchor="project-cohorts",
                        **_section(project))
