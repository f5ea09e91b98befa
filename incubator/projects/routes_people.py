"""The project page's people: assigning the advisor in place, adding and removing holders.

Each route answers htmx with the fragment it changed and plain requests with a 303 back to
the project page. Every change carries the project's version the page was rendered from:
when someone changed the project since, the answer is 409 with the fragment (htmx) or a page
holding it (plain), showing the current advisor or holders and keeping what the user chose
or typed, now based on the current version.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import once
from ..auth.services import EmailTaken
from ..extensions import db
from ..forms import error_messages
from ..htmx import is_htmx, vary_on_htmx
from ..models import Project
from ..permissions import staff_required
from ..permissions import visible_project_or_404 as _project
from ..versions import StaleVersion
from . import bp
from .forms import AdvisorForm, HolderForm, RemoveHolderForm
from .people import (
    PeopleError,
    add_holder,
    assign_advisor,
    remove_holder,
    staff_members,
)


def advisor_form(project: Project) -> AdvisorForm:
    form = AdvisorForm(formdata=None, advisor_id=project.advisor_id, version=project.version)
    form.set_staff(staff_members())
    return form


def _fragment(template: str, project: Project, status: int = 200, **context):
    """The fragment for htmx; for a plain request refused with 409, a page holding it."""
    if status == 409 and not is_htmx():
        template = "projects/people.html"
    response = make_response(render_template(template, project=project, **context), status)
    return vary_on_htmx(response)


def _back(project: Project):
    return redirect(url_for("projects.show", project_id=project.id), code=303)


def _rebase(form, project: Project) -> None:
    """Keep the user's input, now based on the current version: saving it again is a
    deliberate choice made after seeing the current values."""
    form.version.data = project.version
    form.version.raw_data = [str(project.version)]


@bp.post("/<int:project_id>/advisor")
@staff_required
def set_advisor(project_id: int):
    project = _project(project_id)
    form = AdvisorForm()
    form.set_staff(staff_members())
    error = None
    conflict = False
    if not form.validate_on_submit():
        error = (_("Choose an active advisor or manager.") if form.advisor_id.errors
                 else " ".join(error_messages(form)))
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
    project = _project(project_id)
    if conflict:
        _rebase(form, project)
        return _fragment("projects/_advisor.html", project, 409, advisor_form=form,
                         advisor_conflict=True, people_part="advisor")
    if is_htmx():
        return _fragment("projects/_advisor.html", project, 422 if error else 200,
                         advisor_form=advisor_form(project), advisor_error=error,
                         saved=not error)
    flash(error or _("Advisor saved."), "error" if error else "success")
    return _back(project)


def _holders_fragment(project: Project, form: HolderForm | None = None, status: int = 200,
                      message: str | None = None, conflict: bool = False):
    return _fragment("projects/_holders.html", project, status,
                     holder_form=form or HolderForm(formdata=None), holders_message=message,
                     holders_conflict=conflict, people_part="holders")


@bp.post("/<int:project_id>/holders")
@staff_required
def add_holder_route(project_id: int):
    project = _project(project_id)
    form = HolderForm()
    if form.validate_on_submit():
        try:
            ticket = once.claim("holder")
            holder, invited = add_holder(project, form.email.data, form.name.data,
                                         current_user)
            once.created(ticket, holder)
            db.session.commit()
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(url_for("projects.show", project_id=project.id),
                                 _("This holder was already added: see the holders below."))
        except once.InvalidFormToken:
            db.session.rollback()
            form.form_errors.append(once.stale_message())
        except (PeopleError, EmailTaken) as problem:
            db.session.rollback()
            form.email.errors.append(str(problem))
        else:
            if invited:  # the link went to them only: whoever added them never sees it
                message = _("%(name)s is invited: we sent a link to choose a password to "
                            "%(email)s.", name=holder.name, email=holder.email)
            else:
                message = _("%(name)s is now a holder of the project.", name=holder.name)
            project = _project(project_id)
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
    project = _project(project_id)
    form = RemoveHolderForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        holder = remove_holder(project, user_id, current_user, seen_version=form.version.data)
        db.session.commit()
    except StaleVersion:
        db.session.rollback()
        return _holders_fragment(_project(project_id), status=409, conflict=True)
    except PeopleError:
        db.session.rollback()
        abort(404)
    message = _("%(name)s is no longer a holder of the project.", name=holder.name)
    project = _project(project_id)
    if is_htmx():
        return _holders_fragment(project, message=message)
    flash(message, "success")
    return _back(project)
