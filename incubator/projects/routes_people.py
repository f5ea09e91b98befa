"""The project page's people: assigning the advisor in place, adding and removing holders.

Each route answers htmx with the fragment it changed and plain requests with a 303 back to
the project page.
"""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.services import EmailTaken
from ..extensions import db
from ..forms import error_messages
from ..htmx import back_to_project, is_htmx, project_done, render
from ..models import Project
from ..permissions import staff_required
from ..permissions import visible_project_or_404 as _project
from . import bp
from .forms import AdvisorForm, HolderForm, RemoveHolderForm
from .people import (
    PeopleError,
    StaleProject,
    add_holder,
    assign_advisor,
    remove_holder,
    staff_members,
)


def advisor_form(project: Project) -> AdvisorForm:
    form = AdvisorForm(formdata=None, advisor_id=project.advisor_id, version=project.version)
    form.set_staff(staff_members())
    return form


@bp.post("/<int:project_id>/advisor")
@staff_required
def set_advisor(project_id: int):
    project = _project(project_id)
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
    project = _project(project_id)
    if not error:
        return project_done(_("Advisor saved."), project, "projects/_advisor.html",
                            advisor_form=advisor_form(project))
    if is_htmx():
        return render("projects/_advisor.html", 409, project=project,
                      advisor_form=advisor_form(project), advisor_error=error)
    flash(error, "error")
    return back_to_project(project)


def _holders_done(message: str, project: Project):
    return project_done(message, project, "projects/_holders.html",
                        holder_form=HolderForm(formdata=None))


@bp.post("/<int:project_id>/holders")
@staff_required
def add_holder_route(project_id: int):
    project = _project(project_id)
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
            return _holders_done(message, _project(project_id))
    if is_htmx():
        return render("projects/_holders.html", 422, project=project, holder_form=form)
    for message in error_messages(form):
        flash(message, "error")
    return back_to_project(project)


@bp.post("/<int:project_id>/holders/<int:user_id>/remove")
@staff_required
def remove_holder_route(project_id: int, user_id: int):
    project = _project(project_id)
    if not RemoveHolderForm().validate_on_submit():
        abort(400)
    try:
        holder = remove_holder(project, user_id, current_user)
        db.session.commit()
    except PeopleError:
        db.session.rollback()
        abort(404)
    message = _("%(name)s is no longer a holder of the project.", name=holder.name)
    return _holders_done(message, _project(project_id))
