"""Mentoring on the project page: link a mentor (a page: suggestions with their reasons, then
a search over the whole directory, live with htmx; then the role, contact person and start
date of the chosen organisation), end a mentorship (end date, version-checked), log hours
(one-time form; staff, or the mentor of the mentorship).

htmx requests get the « Parrainages » section back (``project_done``: the timeline reloads on
``project-changed``); plain requests get a 303 back to the project page, or the form alone
on its page with its errors (422) or the conflict (409).
"""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import (
    hx_redirect,
    is_htmx,
    page_or_fragment,
    project_done,
    project_or_abort,
    project_url,
    render,
)
from ..i18n import de
from ..models import Mentorship, Project
from ..numbers import local_number
from ..params import parse_int
from ..permissions import can_log_hours, can_manage_mentoring, visible_project
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import ROLE_LABELS, ChangeForm, EndForm, HoursForm, LinkForm, section_forms
from .suggestions import suggestions


@bp.app_context_processor
def _mentoring_labels() -> dict:
    # The mentorship roles, for the pages of both mentoring and mentors (and the timeline).
    return {"mentorship_roles": ROLE_LABELS}


def _may_manage(project_id: int) -> Project:
    return project_or_abort(project_id, lambda user, _project: can_manage_mentoring(user))


def _section_context(project: Project, **forms) -> dict:
    context = {"project": project, **section_forms(current_user, project),
               **queries.section(current_user, project)}
    context.update(forms)
    return context


def _anchor(project: Project) -> str:
    return project_url(project, dom_id(project, "mentoring"))


# Linking


def _link_page(project: Project, form: LinkForm | None, organisation, status: int = 200):
    q = request.args.get("q", "").strip()[:100]
    chosen_reasons = None
    # The live search swaps its results only: no suggestions to compute then.
    proposed = suggestions(project) if organisation is not None or not is_htmx() else []
    if organisation is not None:
        chosen_reasons = next((s for s in proposed if s.organisation.id == organisation.id),
                              None)
    results = queries.search_directory(q) if q else []
    context = {"project": project, "suggestions": proposed, "q": q, "results": results,
               "organisation": organisation, "link_form": form, "chosen": chosen_reasons}
    if organisation is not None:  # the form: a whole page, whoever asks
        return render("mentoring/new.html", status, inline=False, **context)
    return page_or_fragment("mentoring/new.html", "mentoring/_search.html", status, **context)


@bp.get("/projects/<int:project_id>/mentors/new")
@login_required
def new(project_id: int):
    """The linking page: suggestions and the directory search (htmx: the search results
    only); with ``organisation_id``, the form for that organisation."""
    project = _may_manage(project_id)
    organisation = None
    chosen = parse_int(request.args.get("organisation_id"))
    if chosen is not None:
        organisation = queries.organisation_for_link(chosen)
        if organisation is None or organisation.is_archived:
            abort(404)
    form = LinkForm.for_organisation(organisation, formdata=None) if organisation else None
    return _link_page(project, form, organisation)


@bp.post("/projects/<int:project_id>/mentors")
@login_required
def link(project_id: int):
    project = _may_manage(project_id)
    organisation_id = parse_int(request.form.get("organisation_id"))
    organisation = (queries.organisation_for_link(organisation_id)
                    if organisation_id is not None else None)
    if organisation is None:
        abort(404)
    form = LinkForm.for_organisation(organisation)
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("mentorship", project.id)
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(_anchor(project), _("This mentor was already linked."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if valid:
        contact = (queries.contact_of(organisation.id, form.contact_id.data)
                   if form.contact_id.data else None)
        try:
            mentorship = services.link_mentor(
                current_user, project, organisation, role=form.role.data, contact=contact,
                started_on=form.started_on.data)
        except services.MentoringError as error:
            db.session.rollback()
            project = _may_manage(project_id)
            organisation = queries.organisation_for_link(organisation.id)
            form.form_errors.append(str(error))
            valid = False
        else:
            once.created(ticket, mentorship)
            db.session.commit()
            flash(_("%(name)s now mentors this project.", name=organisation.name), "success")
            return hx_redirect(_anchor(project))
    return _link_page(project, form, organisation, 422)


# Ending and hours


def _mentorship(project: Project, mentorship_id: int) -> Mentorship:
    mentorship = queries.mentorship_of(project.id, mentorship_id)
    if mentorship is None:
        abort(404)
    return mentorship


def _refused(template: str, project: Project, mentorship: Mentorship, status: int, **forms):
    """A refused end or hours form: the section with that form open (htmx), or the form
    alone on its page."""
    context = _section_context(project)
    context.update(hours_blank=context["hours_form"], end_blank=context["end_form"], **forms)
    return page_or_fragment("mentoring/action.html", "mentoring/_section.html", status,
                            form_template=template, mentorship=mentorship,
                            open_for=mentorship.id, **context)


@bp.post("/projects/<int:project_id>/mentors/<int:mentorship_id>/end")
@login_required
def end(project_id: int, mentorship_id: int):
    project = _may_manage(project_id)
    mentorship = _mentorship(project, mentorship_id)
    if not mentorship.is_current:  # ended in another tab, or a replay
        fail(422, _("This mentorship has already ended."))
    form = EndForm()
    if not form.validate_on_submit():
        return _refused("mentoring/_end_form.html", project, mentorship, 422, end_form=form)
    seen = form.seen_version()
    try:
        services.end_mentorship(current_user, project, mentorship, form.ended_on.data, seen)
    except services.MentoringError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _refused("mentoring/_end_form.html", project,
                        _mentorship(_may_manage(project_id), mentorship_id), 422,
                        end_form=form)
    except StaleVersion:
        db.session.rollback()
        project = _may_manage(project_id)
        mentorship = _mentorship(project, mentorship_id)
        form.form_errors.append(_("Someone changed this mentorship since you opened the page: "
                                  "look at it again before ending it."))
        form.show_version(mentorship.version)
        return _refused("mentoring/_end_form.html", project, mentorship, 409, end_form=form)
    db.session.commit()
    return project_done(_("Mentorship %(of_name)s ended.", of_name=de(mentorship.organisation.name)),
                        project, "mentoring/_section.html", anchor=dom_id(project, "mentoring"),
                        focus=dom_id(project, "mentoring-title"),
                        **_section_context(project))


@bp.route("/projects/<int:project_id>/mentors/<int:mentorship_id>/edit",
          methods=["GET", "POST"])
@login_required
def change(project_id: int, mentorship_id: int):
    """Change a current mentorship's role, contact person or start date (its own page, a
    plain form; version-checked: a stale page gets 409 with its input)."""
    project = _may_manage(project_id)
    mentorship = _mentorship(project, mentorship_id)
    if not mentorship.is_current:
        fail(422, _("This mentorship has already ended."))
    organisation = queries.organisation_for_link(mentorship.organisation_id)
    if request.method == "GET":
        form = ChangeForm.for_mentorship(mentorship, organisation, formdata=None)
        return render("mentoring/change.html", project=project, mentorship=mentorship,
                      change_form=form)
    form = ChangeForm.for_mentorship(mentorship, organisation)
    status = 422
    if form.validate_on_submit():
        contact = (queries.contact_of(organisation.id, form.contact_id.data)
                   if form.contact_id.data else None)
        seen = form.seen_version()
        try:
            changed = services.change_mentorship(
                current_user, project, mentorship, role=form.role.data, contact=contact,
                started_on=form.started_on.data, seen_version=seen)
        except services.MentoringError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        except StaleVersion:
            db.session.rollback()
            status = 409
            form.form_errors.append(_("Someone changed this mentorship since you opened the "
                                      "page: here it is as it is now; your choices are kept "
                                      "below."))
        else:
            db.session.commit()
            flash(_("Mentorship %(of_name)s changed.", of_name=de(organisation.name))
                  if changed else _("Nothing to change."), "success" if changed else "info")
            return hx_redirect(_anchor(project))
        project = _may_manage(project_id)
        mentorship = _mentorship(project, mentorship_id)
        form.show_version(mentorship.version)
    return render("mentoring/change.html", status, project=project, mentorship=mentorship,
                  change_form=form)


def _project_for_hours(project_id: int, mentorship_id: int) -> tuple[Project, Mentorship]:
    """The project and mentorship, if the user may log hours on it (404 otherwise, so ids
    cannot be probed): a mentor reaches it through ``can_log_hours`` itself."""
    mentorship = queries.mentorship_of(project_id, mentorship_id)
    if mentorship is None or not can_log_hours(current_user, mentorship):
        abort(404)
    project = visible_project(current_user, project_id) or db.session.get(Project, project_id)
    return project, mentorship


@bp.post("/projects/<int:project_id>/mentors/<int:mentorship_id>/hours")
@login_required
def hours(project_id: int, mentorship_id: int):
    project, mentorship = _project_for_hours(project_id, mentorship_id)
    form = HoursForm()
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("hours", mentorship.id)
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(_anchor(project), _("These hours were already logged."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if valid:
        try:
            entry = services.log_hours(current_user, mentorship, form.worked_on.data,
                                       form.hours.data, form.note.data or "", project=project)
        except services.MentoringError as error:
            db.session.rollback()
            project, mentorship = _project_for_hours(project_id, mentorship_id)
            form.form_errors.append(str(error))
            valid = False
    if not valid:
        return _refused("mentoring/_hours_form.html", project, mentorship, 422, hours_form=form)
    once.created(ticket, entry)
    db.session.commit()
    message = _("%(hours)s h logged for %(name)s.", hours=local_number(entry.hours),
                name=mentorship.organisation.name)
    return project_done(message, project, "mentoring/_section.html",
                        anchor=dom_id(project, "mentoring"), focus=dom_id(mentorship),
                        **_section_context(project))

