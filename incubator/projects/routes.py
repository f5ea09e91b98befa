"""Idea submission (holders), "my projects", the project's description form, and its people:
assigning the advisor in place, adding and removing holders.

The project page itself is composed above the features it shows (``project_page``). The
people routes answer htmx with the fragment they changed and plain requests with a 303 back
to the project page.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.services import EmailTaken
from ..errors import fail
from ..extensions import db
from ..forms import error_messages
from ..htmx import is_htmx, vary_on_htmx
from ..models import Project
from ..permissions import (
    can_be_holder,
    can_edit_description,
    idea_author_required,
    staff_required,
)
from ..permissions import visible_project_or_404 as _visible_or_404
from ..reference import commune_suggestions, early_stage_ids, legal_forms, staff_members, themes
from . import bp, queries
from .forms import AdvisorForm, HolderForm, ProjectForm, RemoveHolderForm, advisor_form
from .services import (
    NotSubmittable,
    PeopleError,
    StaleProject,
    add_holder,
    assign_advisor,
    create_project,
    remove_holder,
    submit_project,
    update_project,
)


def _form(project: Project | None = None) -> ProjectForm:
    form = ProjectForm(obj=project)
    form.set_choices(themes(), legal_forms())
    if project is not None and not form.is_submitted() and project.funding_need_cents is not None:
        form.funding_need.data = Decimal(project.funding_need_cents) / 100
    return form


def _render_form(form: ProjectForm, project: Project | None):
    status = 422 if form.is_submitted() else 200
    return render_template(
        "projects/form.html", form=form, project=project,
        communes=commune_suggestions(),
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



@bp.get("/<int:project_id>/description")
@login_required
def description(project_id: int):
    """The description block (htmx: closing the in-place editor)."""
    project = _visible_or_404(project_id)
    if not is_htmx():
        return redirect(url_for("projects.show", project_id=project.id), code=303)
    return vary_on_htmx(make_response(render_template(
        "projects/_description.html", project=project,
        can_edit=can_edit_description(current_user, project, early_stage_ids()),
    )))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = _visible_or_404(project_id)
    if not can_edit_description(current_user, project, early_stage_ids()):
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
        return vary_on_htmx(make_response(render_template(
            "projects/_description_form.html", project=project, form=form,
            communes=commune_suggestions(),
        ), status))
    return _render_form(form, project)


def _fragment(template: str, project: Project, status: int = 200, **context):
    response = make_response(render_template(template, project=project, **context), status)
    return vary_on_htmx(response)


def _back(project: Project):
    return redirect(url_for("projects.show", project_id=project.id), code=303)


@bp.post("/<int:project_id>/advisor")
@staff_required
def set_advisor(project_id: int):
    project = _visible_or_404(project_id)
    form = AdvisorForm()
    form.set_staff(staff_members())
    error = None
    if not form.validate_on_submit():
        error = (_("Choose an active advisor or manager.") if form.advisor_id.errors
                 else " ".join(error_messages(form)))
    else:
        try:
            assign_advisor(project, form.advisor_id.data, current_user, form.version.data)
            db.session.commit()
        except StaleProject:
            db.session.rollback()
            error = _("Someone changed this project in the meantime: here is its current "
                      "advisor. Try again if needed.")
        except PeopleError as problem:
            db.session.rollback()
            error = str(problem)
    project = _visible_or_404(project_id)
    if is_htmx():
        return _fragment("projects/_advisor.html", project, 409 if error else 200,
                         advisor_form=advisor_form(project), advisor_error=error,
                         saved=not error)
    flash(error or _("Advisor saved."), "error" if error else "success")
    return _back(project)


def _holders_fragment(project: Project, form: HolderForm | None = None, status: int = 200,
                      message: str | None = None):
    return _fragment("projects/_holders.html", project, status,
                     holder_form=form or HolderForm(formdata=None), holders_message=message)


@bp.post("/<int:project_id>/holders")
@staff_required
def add_holder_route(project_id: int):
    project = _visible_or_404(project_id)
    form = HolderForm()
    if form.validate_on_submit():
        try:
            holder, invited = add_holder(project, form.email.data, form.name.data,
                                         current_user)
            db.session.commit()
        except (PeopleError, EmailTaken) as problem:
            db.session.rollback()
            form.email.errors.append(str(problem))
        else:
            if invited:  # the link went to them only: whoever added them never sees it
                message = _("%(name)s is invited: we sent a link to choose a password to "
                            "%(email)s.", name=holder.name, email=holder.email)
            else:
                message = _("%(name)s is now a holder of the project.", name=holder.name)
            project = _visible_or_404(project_id)
            if is_htmx():
                return _holders_fragment(project, message=message)
            flash(message, "success")
            return _back(project)
    if is_htmx():
        return _holders_fragment(project, form, 422)
    for message in error_messages(form):
        flash(message, "error")
    return _back(project)


@bp.post("/<int:project_id>/holders/<int:user_id>/remove")
@staff_required
def remove_holder_route(project_id: int, user_id: int):
    project = _visible_or_404(project_id)
    if not RemoveHolderForm().validate_on_submit():
        abort(400)
    try:
        holder = remove_holder(project, user_id, current_user)
        db.session.commit()
    except PeopleError:
        db.session.rollback()
        abort(404)
    message = _("%(name)s is no longer a holder of the project.", name=holder.name)
    project = _visible_or_404(project_id)
    if is_htmx():
        return _holders_fragment(project, message=message)
    flash(message, "success")
    return _back(project)
