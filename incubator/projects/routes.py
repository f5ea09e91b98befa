"""Idea submission (holders), "my projects", the project page and its description form."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..errors import fail
from ..extensions import db
from ..htmx import hx_redirect, is_htmx, vary_on_htmx
from ..models import Project
from ..permissions import (
    can_be_holder,
    can_edit_description,
    can_manage_people,
    idea_author_required,
)
from ..permissions import visible_project_or_404 as _visible_or_404
from ..versions import StaleVersion
from . import bp, queries
from .forms import HolderForm, ProjectForm
from .routes_people import advisor_form
from .sections import page_sections
from .services import NotSubmittable, create_project, submit_project, update_project


def _form(project: Project | None = None) -> ProjectForm:
    form = ProjectForm(obj=project)
    form.set_choices(queries.themes(), queries.legal_forms())
    if project is not None and not form.is_submitted() and project.funding_need_cents is not None:
        form.funding_need.data = Decimal(project.funding_need_cents) / 100
    return form


def _render_form(form: ProjectForm, project: Project | None, status: int | None = None,
                 conflict: bool = False):
    if status is None:
        status = 422 if form.is_submitted() else 200
    return render_template(
        "projects/form.html", form=form, project=project, conflict=conflict,
        communes=queries.commune_suggestions(),
    ), status


def _submit(project: Project) -> None:
    try:
        submit_project(project, current_user)
    except NotSubmittable as refusal:
        db.session.rollback()
        if str(refusal) == "no active stage" or project.is_draft:
            fail(409, _("This idea cannot be submitted now: the pole has no open stage to "
                        "receive it. Your draft is kept; contact the pole's team."))
        fail(409, _("This idea has already been submitted."))


def _already_created(used: once.AlreadyUsed):
    """The answer to a replay of the idea form: what the first submission created."""
    if used.kind == "project" and used.id is not None:
        flash(_("Your idea has already been submitted: here it is."), "success")
        return hx_redirect(url_for("projects.show", project_id=used.id))
    fail(409, _("This form was already sent. Look at your projects before sending it "
                "again."))


@bp.route("/new", methods=["GET", "POST"])
@idea_author_required
def new():
    form = _form()
    if form.validate_on_submit():
        try:
            ticket = once.claim("idea")
        except once.AlreadyUsed as used:
            db.session.rollback()
            return _already_created(used)
        except once.InvalidFormToken:
            form.form_errors.append(_("This page is out of date or was altered. Reload it "
                                      "and try again."))
            return _render_form(form, None)
        project = create_project(current_user, form.data, as_holder=can_be_holder(current_user))
        once.created(ticket, project)
        if form.submit_idea.data:
            _submit(project)
            flash(_("Your idea is submitted. The pole's team will contact you soon."), "success")
        else:
            flash(_("Draft saved. You can complete it and submit it when you are ready."),
                  "success")
        db.session.commit()
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    return _render_form(form, None)


@bp.get("/mine")
@login_required
def mine():
    return render_template("projects/mine.html", projects=queries.projects_of(current_user))



@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    project = _visible_or_404(project_id)
    return render_template(
        "projects/show.html",
        project=project,
        history=queries.timeline(current_user, project),
        stages=queries.active_stages(),
        can_edit=can_edit_description(current_user, project, queries.early_stage_ids()),
        advisor_form=advisor_form(project) if can_manage_people(current_user, project) else None,
        holder_form=(HolderForm(formdata=None) if can_manage_people(current_user, project)
                     else None),
        **page_sections(current_user, project),
    )


@bp.get("/<int:project_id>/description")
@login_required
def description(project_id: int):
    """The description block (htmx: closing the in-place editor)."""
    project = _visible_or_404(project_id)
    if not is_htmx():
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    return vary_on_htmx(make_response(render_template(
        "projects/_description.html", project=project,
        can_edit=can_edit_description(current_user, project, queries.early_stage_ids()),
    )))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = _visible_or_404(project_id)
    if not can_edit_description(current_user, project, queries.early_stage_ids()):
        abort(403)
    form = _form(project)
    if not project.is_draft:
        del form.submit_idea  # only drafts are submitted
        form.save_draft.label.text = _("Save changes")
    inline = is_htmx() and not project.is_draft
    if form.validate_on_submit():
        try:
            # Absent from the request, WTForms would fall back on the current version.
            seen = form.version.data if "version" in request.form else None
            update_project(project, form.data, by=current_user, seen_version=seen)
        except StaleVersion:
            return _conflict(project_id, form, inline)
        if inline:  # edited in place on the project page
            db.session.commit()
            project = _visible_or_404(project_id)
            return vary_on_htmx(make_response(render_template(
                "projects/_description.html", project=project, can_edit=True,
                saved_message=_("Changes saved."),
            )))
        if project.is_draft and form.submit_idea.data:
            _submit(project)
            flash(_("Your idea is submitted. The pole's team will contact you soon."), "success")
        else:
            flash(_("Changes saved."), "success")
        db.session.commit()
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    if inline:
        status = 422 if form.is_submitted() else 200
        return _inline_form(project, form, status)
    return _render_form(form, project)


def _inline_form(project: Project, form: ProjectForm, status: int, conflict: bool = False):
    return vary_on_htmx(make_response(render_template(
        "projects/_description_form.html", project=project, form=form, conflict=conflict,
        communes=queries.commune_suggestions(),
    ), status))


def _conflict(project_id: int, form: ProjectForm, inline: bool):
    """Someone changed the project since the form was rendered: 409, the form with what the
    user typed, now based on the current version (saving again is a deliberate choice made
    after reading the current values shown beside it)."""
    db.session.rollback()
    project = _visible_or_404(project_id)
    if not can_edit_description(current_user, project, queries.early_stage_ids()):
        fail(409, _("Someone changed this project since you opened it, and its description "
                    "can no longer be edited here."))
    form.version.data = project.version
    form.version.raw_data = [str(project.version)]
    if not project.is_draft and "submit_idea" in form:
        del form.submit_idea
        form.save_draft.label.text = _("Save changes")
    if inline:
        return _inline_form(project, form, 409, conflict=True)
    return _render_form(form, project, 409, conflict=True)
