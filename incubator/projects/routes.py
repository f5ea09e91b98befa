"""Idea submission (holders), "my projects", the project's description form, and its people:
assigning the advisor in place, adding and removing holders.

The project page itself is composed above the features it shows (``project_page``). The
people routes answer htmx with the fragment they changed and plain requests with a 303 back
to the project page.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..auth.services import EmailTaken
from ..confirm import ask_first, confirmed
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..forms import error_messages
from ..htmx import (
    back_to_project,
    focus_on,
    hx_redirect,
    is_htmx,
    project_done,
    project_url,
    render,
    version_moved,
)
from ..models import Project, ProjectHolder
from ..permissions import (
    can_be_holder,
    can_edit_description,
    can_record_jobs_created,
    idea_author_required,
    staff_required,
)
from ..permissions import visible_project_or_404 as _visible_or_404
from ..positions import PositionTaken
from ..reference import commune_suggestions, early_stage_ids, legal_forms, staff_members, themes
from ..versions import StaleVersion
from . import bp, queries
from .forms import AdvisorForm, HolderForm, ProjectForm, RemoveHolderForm, advisor_form
from .services import (
    NotSubmittable,
    PeopleError,
    add_holder,
    assign_advisor,
    create_project,
    remove_holder,
    submit_project,
    update_project,
)


def _form(project: Project | None = None) -> ProjectForm:
    form = ProjectForm(obj=project)
    if project is None or not can_record_jobs_created(current_user, project):
        del form.jobs_created  # the jobs a project created: once it is launched
    form.set_choices(themes(kept=project.theme_id if project else None),
                     legal_forms(kept=project.legal_form_id if project else None))
    if project is not None and not form.is_submitted() and project.funding_need_cents is not None:
        form.funding_need.data = Decimal(project.funding_need_cents) / 100
    return form


def _render_form(form: ProjectForm, project: Project | None, status: int | None = None,
                 conflict: bool = False):
    if status is None:
        status = 422 if form.is_submitted() else 200
    return render_template(
        "projects/form.html", form=form, project=project, conflict=conflict,
        communes=commune_suggestions(),
    ), status


def _submit(project: Project) -> None:
    try:
        submit_project(project, current_user)
    except PositionTaken:  # concurrent submissions kept taking the column's end (rare)
        db.session.rollback()
        fail(409, _("Many ideas arrived at the same moment and this one could not take its "
                    "place: nothing was saved. Send the form again."))
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
            form.form_errors.append(once.stale_message())
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



@bp.get("/<int:project_id>/description")
@login_required
def description(project_id: int):
    """The description block (htmx: closing the in-place editor; the focus goes back to the
    link that opened it)."""
    project = _visible_or_404(project_id)
    if not is_htmx():
        return back_to_project(project)
    return focus_on(render(
        "projects/_description.html", project=project,
        can_edit=can_edit_description(current_user, project, early_stage_ids()),
    ), dom_id(project, "description-edit"))


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
        try:
            seen = form.seen_version()
            update_project(project, form.data, by=current_user, seen_version=seen)
        except StaleVersion:
            return _conflict(project_id, form, inline)
        if inline:  # edited in place on the project page
            db.session.commit()
            project = _visible_or_404(project_id)
            return version_moved(
                project_done(_("Changes saved."), project, "projects/_description.html",
                             focus="description-title", can_edit=True, saved=True), project, seen)
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
    return render("projects/_description_form.html", status, project=project, form=form,
                  conflict=conflict, communes=commune_suggestions())


def _conflict(project_id: int, form: ProjectForm, inline: bool):
    """Someone changed the project since the form was rendered: 409, the form with what the
    user typed, now based on the current version (saving again is a deliberate choice made
    after reading the current values shown beside it)."""
    db.session.rollback()
    project = _visible_or_404(project_id)
    if not can_edit_description(current_user, project, early_stage_ids()):
        fail(409, _("Someone changed this project since you opened it, and its description "
                    "can no longer be edited here."))
    form.show_version(project.version)
    if not project.is_draft and "submit_idea" in form:
        del form.submit_idea
        form.save_draft.label.text = _("Save changes")
    if inline:
        return _inline_form(project, form, 409, conflict=True)
    return _render_form(form, project, 409, conflict=True)


# The project page's people: assigning the advisor in place, adding and removing holders.
# Every change carries the project's version the page was rendered from: when someone
# changed the project since, the answer is 409 with the fragment (htmx) or a page holding it
# (plain), showing the current advisor or holders and keeping what the user chose or typed,
# now based on the current version.

def _fragment(template: str, project: Project, status: int, **context):
    """A refusal: the fragment for htmx; for a plain request refused with 409, a page
    holding it."""
    if status == 409 and not is_htmx():
        template = "projects/people.html"
    return render(template, status, project=project, **context)


def _rebase(form, project: Project) -> None:
    """Keep the user's input, now based on the current version: saving it again is a
    deliberate choice made after seeing the current values."""
    form.show_version(project.version)


@bp.post("/<int:project_id>/advisor")
@staff_required
def set_advisor(project_id: int):
    project = _visible_or_404(project_id)
    form = AdvisorForm()
    form.set_staff(staff_members())
    error = None
    conflict = False
    if not form.validate_on_submit():
        error = " ".join(error_messages(form))
    else:
        try:
            assign_advisor(project, form.advisor_id.data, current_user, form.version.data)
            db.session.commit()
        except StaleVersion:
            db.session.rollback()
            conflict = True
        except PeopleError as problem:
            db.session.rollback()
            error = str(problem)
    project = _visible_or_404(project_id)
    if conflict:
        _rebase(form, project)
        return _fragment("projects/_advisor.html", project, 409, advisor_form=form,
                         advisor_conflict=True, people_part="advisor")
    if not error:
        return version_moved(
            project_done(_("Advisor saved."), project, "projects/_advisor.html",
                         advisor_form=advisor_form(project)), project, form.version.data)
    # Refused (not someone who may advise, e.g. an invitation still pending): the picker as
    # the project stands with the reason (htmx: the fragment; plain: a page holding it).
    # The Save button, disabled while it ran, is replaced: the focus goes to the select,
    # which the error describes.
    return focus_on(render("projects/_advisor.html" if is_htmx() else "projects/people.html",
                           422, project=project, advisor_form=advisor_form(project),
                           advisor_error=error, people_part="advisor"),
                    dom_id(project, "advisor-select"))


def _holders_done(message: str, project: Project):
    return project_done(message, project, "projects/_holders.html",
                        holder_form=HolderForm(formdata=None))


@bp.post("/<int:project_id>/holders")
@staff_required
def add_holder_route(project_id: int):
    project = _visible_or_404(project_id)
    before = project.version  # adding is not made from a version; the page's forms follow
    form = HolderForm()
    if form.validate_on_submit():
        try:
            ticket = once.claim("holder", project.id)
            holder, invited = add_holder(project, form.email.data, form.name.data,
                                         current_user)
            once.created(ticket, holder)
            db.session.commit()
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(project_url(project),
                                 _("This holder was already added: see the holders below."))
        except once.InvalidFormToken:
            db.session.rollback()
            form.form_errors.append(once.stale_message())
        except StaleVersion:  # a colleague changed the project during this very request
            db.session.rollback()
            return _fragment("projects/_holders.html", _visible_or_404(project_id), 409,
                             holder_form=form, holders_conflict=True, people_part="holders")
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
            return version_moved(_holders_done(message, project), project, before)
    # Refused: the form with what was typed and its errors (htmx: the fragment; plain: a
    # page holding it, as for a conflict).
    return render("projects/_holders.html" if is_htmx() else "projects/people.html", 422,
                  project=project, holder_form=form, people_part="holders")


@bp.post("/<int:project_id>/holders/<int:user_id>/remove")
@staff_required
def remove_holder_route(project_id: int, user_id: int):
    project = _visible_or_404(project_id)
    form = RemoveHolderForm()
    if not form.validate_on_submit():
        abort(400)
    if not confirmed():
        holder = db.session.get(ProjectHolder, (project.id, user_id))
        if holder is None:
            abort(404)
        return ask_first(_("Remove %(name)s from the holders of “%(title)s”?",
                           name=holder.user.name, title=project.title),
                         project_url(project, dom_id(project, "holders")),
                         action_label=_("Remove"))
    try:
        holder = remove_holder(project, user_id, current_user, seen_version=form.version.data)
        db.session.commit()
    except StaleVersion:
        db.session.rollback()
        return _fragment("projects/_holders.html", _visible_or_404(project_id), 409,
                         holder_form=HolderForm(formdata=None), holders_conflict=True,
                         people_part="holders")
    except PeopleError:
        db.session.rollback()
        abort(404)
    message = _("%(name)s is no longer a holder of the project.", name=holder.name)
    project = _visible_or_404(project_id)
    return version_moved(_holders_done(message, project), project, form.version.data)
