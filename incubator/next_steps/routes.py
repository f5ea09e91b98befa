"""Next steps: added on the project page by staff, ticked done in place (by staff or by the
holder they are assigned to), and listed on /next-steps for whoever they are assigned to.

htmx requests get the fragment that changed (the section, or one step) with the counters
out of band; plain requests get a page (a form with its errors) or a 303 back.
"""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import htmx, once
from ..dom import dom_id
from ..extensions import db
from ..htmx import PROJECT_CHANGED, page_or_fragment, project_done, project_url
from ..models import Project
from ..params import query_int
from ..permissions import can_check_step, can_follow_up, sees_all_steps
from ..permissions import visible_project_or_404 as _project_or_404
from ..urls import safe_next
from . import bp, queries, services
from .forms import CheckForm, NextStepForm


def _section_context(project: Project, form: NextStepForm) -> dict:
    """What the whole section (list, counters, form) needs."""
    return {"project": project, "today": queries.today(), "next_step_form": form,
            "next_steps": queries.project_steps(current_user, project)}


@bp.post("/projects/<int:project_id>/next-steps")
@login_required
def add(project_id: int):
    project = _project_or_404(project_id)
    if not can_follow_up(current_user, project):
        abort(403)
    people = queries.assignees(project)
    form = NextStepForm.for_project(project, current_user, people)
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("next_step", project.id)
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(project_url(project, dom_id(project, "next-steps")),
                                 _("This next step was already added: here it is."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if not valid:
        return page_or_fragment("next_steps/new.html", "next_steps/_section.html", 422,
                                **_section_context(project, form))
    step = services.add_step(project, current_user, title=form.title.data,
                             due_on=form.due_on.data, assignee=form.assignee(people))
    once.created(ticket, step)
    db.session.commit()
    fresh = NextStepForm.for_project(project, current_user, people, formdata=None)
    return project_done(_("Next step added: %(title)s.", title=step.title), project,
                        "next_steps/_section.html", anchor=dom_id(project, "next-steps"),
                        focus=dom_id(step), **_section_context(project, fresh))


def _check(project_id: int, step_id: int, change) -> object:
    """Mark done or reopen: the step's fragment and counters (htmx), or a 303 back."""
    project = _project_or_404(project_id)
    step = queries.step_of(project, step_id)
    if step is None:
        abort(404)
    if not can_check_step(current_user, project, step):
        abort(403)
    form = CheckForm()
    if not form.validate_on_submit():
        abort(400)
    mine = form.view.data == "mine"
    change(project, step)
    db.session.commit()
    if step.done_at is not None:
        message = _("Done: %(title)s.", title=step.title)
    else:
        message = _("Open again: %(title)s.", title=step.title)
    next_url = safe_next(form.next.data)
    default = (url_for("next_steps.mine") if mine
               else project_url(project, dom_id(project, "next-steps")))
    today = queries.today()
    if mine:
        counts = queries.my_counts(current_user, today)
        counters_id = "my-next-steps-counters"
    else:
        only = None if sees_all_steps(current_user, project) else current_user
        counts = queries.open_counts([project.id], today, only).get(project.id, (0, 0))
        counters_id = dom_id(project, "next-steps-counters")
    return htmx.done(message, next_url or default, "next_steps/_step.html",
                oob=("next_steps/_counters.html",), events=(PROJECT_CHANGED,),
                focus=dom_id(step) + "-check", project=project, step=step, today=today, mine=mine, can_check=True,
                counts=counts, counters_id=counters_id, next_url=next_url)


@bp.post("/projects/<int:project_id>/next-steps/<int:step_id>/done")
@login_required
def done(project_id: int, step_id: int):
    return _check(project_id, step_id,
                  lambda project, step: services.mark_done(project, step, current_user))


@bp.post("/projects/<int:project_id>/next-steps/<int:step_id>/undo")
@login_required
def undo(project_id: int, step_id: int):
    return _check(project_id, step_id, lambda project, step: services.reopen(step, current_user))


@bp.get("/next-steps")
@login_required
def mine():
    """The current user's open steps across their projects, soonest due first."""
    page = query_int("page", 1)
    pagination, projects = queries.my_steps(current_user, page)
    today = queries.today()
    return render_template(
        "next_steps/mine.html", pagination=pagination, projects=projects, today=today,
        counts=queries.my_counts(current_user, today),
    )
