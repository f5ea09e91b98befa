"""Idea submission (holders), "my projects", the project page and its description form."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import back_to_project, is_htmx, project_done, render
from ..models import Project
from ..permissions import (
    can_be_holder,
    can_edit_description,
    can_manage_people,
    idea_author_required,
)
from ..permissions import visible_project_or_404 as _visible_or_404
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


def _render_form(form: ProjectForm, project: Project | None):
    status = 422 if form.is_submitted() else 200
    return render_template(
        "projects/form.html", form=form, project=project,
        communes=queries.commune_suggestions(),
    ), status


def _submit(project: Project) -> None:
    try:
        submit_project(project, current_user)
    except NotSubmittable:
        db.session.rollback()
        fail(409, _("This idea cannot be submitted now: the pole has no open stage to "
                    "receive it. Your draft is kept; contact the pole's team."))


@bp.route("/new", methods=["GET", "POST"])
@idea_author_required
def new():
    form = _form()
    if form.validate_on_submit():
        project = create_project(current_user, form.data, as_holder=can_be_holder(current_user))
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


@bp.get("/<int:project_id>/history")
@login_required
def history(project_id: int):
    """The project's history (htmx: reloaded on "project-changed" after every change)."""
    project = _visible_or_404(project_id)
    if not is_htmx():
        return back_to_project(project, dom_id(project, "timeline"))
    return render("projects/_timeline.html", project=project,
                  history=queries.timeline(current_user, project))


@bp.get("/<int:project_id>/description")
@login_required
def description(project_id: int):
    """The description block (htmx: closing the in-place editor)."""
    project = _visible_or_404(project_id)
    if not is_htmx():
        return back_to_project(project)
    return render(
        "projects/_description.html", project=project,
        can_edit=can_edit_description(current_user, project, queries.early_stage_ids()),
    )


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
        update_project(project, form.data, by=current_user)
        if inline:  # edited in place on the project page
            db.session.commit()
            project = _visible_or_404(project_id)
            return project_done(_("Changes saved."), project, "projects/_description.html",
                                can_edit=True, saved=True)
        if project.is_draft and form.submit_idea.data:
            _submit(project)
            flash(_("Your idea is submitted. The pole's team will contact you soon."), "success")
        else:
            flash(_("Changes saved."), "success")
        db.session.commit()
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    if inline:
        status = 422 if form.is_submitted() else 200
        return render("projects/_description_form.html", status, project=project, form=form,
                      communes=queries.commune_suggestions())
    return _render_form(form, project)
