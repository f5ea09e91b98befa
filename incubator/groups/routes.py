"""The working groups pages (/groups, staff only: ``can_manage_groups``): the list with live
search and filters, a group's page, create / edit (version-checked) / archive / delete
(refused while it has meetings or participants), the participants (organisations of the
directory, projects being followed), meetings with their minutes and attendance, and the
group's iCalendar file.

Changes are plain forms: a 303 (``HX-Redirect`` for htmx) to the page that shows the result;
a refused form comes back with the user's input and its errors (422), or the conflict (409).
The list and the "add a participant" search answer htmx with their results fragment.
"""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..errors import fail
from ..extensions import db
from ..htmx import hx_redirect, page_or_fragment, render, vary_on_htmx
from ..i18n import datetime_long
from ..models import GroupMeeting, WorkingGroup, utcnow
from ..params import parse_int, query_int
from ..permissions import can_manage_groups
from ..versions import StaleVersion
from . import bp, queries, services
from .calendar import filename, group_calendar
from .forms import AttendanceForm, GroupForm, JoinForm, MeetingForm, pole_zone


@bp.app_template_filter("meeting_when")
def meeting_when(meeting: GroupMeeting) -> str:
    """"22 décembre 2026, 18:30 – 20:30": when a meeting starts, and the time it ends (its
    own day and time when it ends another day), in the pole's time zone."""
    start = datetime_long(meeting.starts_at)
    if meeting.ends_at is None:
        return start
    zone = pole_zone()
    if meeting.ends_at.astimezone(zone).date() == meeting.starts_at.astimezone(zone).date():
        end = meeting.ends_at.astimezone(zone).strftime("%H:%M")
    else:
        end = datetime_long(meeting.ends_at)
    return f"{start} – {end}"


@bp.before_request
@login_required
def _staff_only():
    """Every page of the blueprint is staff's (a visitor is sent to log in first)."""
    if not can_manage_groups(current_user):
        abort(403)


def _group(group_id: int, *, full: bool = False) -> WorkingGroup:
    found = queries.group(group_id, full=full)
    if found is None:
        abort(404)
    return found


def _meeting(group_id: int, meeting_id: int, **kwargs) -> GroupMeeting:
    meeting = queries.meeting_of(group_id, meeting_id, **kwargs)
    if meeting is None:
        abort(404)
    return meeting


def _show_url(group_id: int, anchor: str | None = None) -> str:
    return url_for("groups.show", group_id=group_id, _anchor=anchor)


def _meeting_url(group_id: int, meeting_id: int, anchor: str | None = None) -> str:
    return url_for("groups.meeting", group_id=group_id, meeting_id=meeting_id, _anchor=anchor)


def _back(message: str, to: str, category: str = "success") -> Response:
    flash(message, category)
    return hx_redirect(to)


def _seen_version() -> int | None:
    # No version (or a forged one) is a page that cannot prove what it showed: refused like
    # a stale one.
    return parse_int(request.form.get("version"))


# The list and a group's page


@bp.get("/groups")
def index():
    filters = queries.GroupFilters.from_args(request.args)
    listing = queries.list_page(filters, query_int("page", 1))
    return page_or_fragment("groups/index.html", "groups/_results.html", listing=listing,
                            filters=filters)


def _show(group_id: int, status: int = 200, **context) -> Response:
    page = queries.group_page(group_id)
    if page is None:
        abort(404)
    counts = queries.attendance_count([m.id for m in page.group.meetings])
    return render("groups/show.html", status, page=page, group=page.group,
                  attendance_counts=counts, **context)


@bp.get("/groups/<int:group_id>")
def show(group_id: int):
    return _show(group_id)


# Create, edit, archive, delete


def _form_page(form: GroupForm, group: WorkingGroup | None, status: int = 200,
               conflict: bool = False) -> Response:
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("groups/form.html", status, form=form, group=group, conflict=conflict,
                  themes=queries.theme_suggestions())


@bp.route("/groups/new", methods=["GET", "POST"])
def new():
    form = GroupForm()
    if not form.validate_on_submit():
        return _form_page(form, None)
    try:
        ticket = once.claim("group")
    except once.AlreadyUsed as used:
        db.session.rollback()
        if used.kind == "workinggroup" and used.id is not None:
            return once.replayed(_show_url(used.id), _("This group was already created: "
                                                       "here it is."))
        fail(409, _("This form was already sent. Look at the groups before sending it "
                    "again."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _form_page(form, None, 422)
    group = services.create_group(current_user, **form.values())
    once.created(ticket, group)
    db.session.commit()
    flash(_("Group created."), "success")
    return hx_redirect(_show_url(group.id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit(group_id: int):
    group = _group(group_id)
    if request.method == "GET":
        return _form_page(GroupForm(obj=group, formdata=None), group)
    form = GroupForm()
    if not form.validate_on_submit():
        return _form_page(form, group)
    seen = form.seen_version()
    try:
        services.update_group(group, seen, **form.values())
    except StaleVersion:
        db.session.rollback()
        group = _group(group_id)
        form.show_version(group.version)
        return _form_page(form, group, 409, conflict=True)
    db.session.commit()
    return _back(_("Changes saved."), _show_url(group_id))


@bp.post("/groups/<int:group_id>/archive")
def archive(group_id: int):
    """Archive (archived=1) or bring back (archived=0), after confirmation."""
    group = _group(group_id)
    archived = request.form.get("archived") == "1"
    if archived == group.is_archived:
        return _back(_("Already archived.") if archived else _("Already in the list."),
                     _show_url(group_id), "info")
    if not confirmed():
        question = (_("Archive %(name)s? It leaves the list but keeps its meetings.",
                      name=group.name) if archived else
                    _("Bring %(name)s back into the list?", name=group.name))
        return ask_first(question, _show_url(group_id),
                         action_label=_("Archive") if archived else _("Unarchive"))
    try:
        services.set_archived(group, archived, _seen_version())
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this group since you opened it. Look at it again."))
    db.session.commit()
    return _back(_("Group archived.") if archived else _("Group unarchived."),
                 _show_url(group_id))


@bp.post("/groups/<int:group_id>/delete")
def delete(group_id: int):
    group = _group(group_id)
    links = services.links_of(group)
    if links:
        fail(409, _("%(name)s cannot be deleted: %(links)s. Archive it instead.",
                    name=group.name, links=", ".join(links)))
    if not confirmed():
        return ask_first(_("Delete %(name)s? This cannot be undone.", name=group.name),
                         _show_url(group_id), action_label=_("Delete"))
    name = group.name
    try:
        services.delete_group(group, _seen_version())
    except services.GroupError as error:
        db.session.rollback()
        fail(409, str(error))
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this group since you opened it. Look at it again."))
    db.session.commit()
    return _back(_("%(name)s deleted.", name=name), url_for("groups.index"))


# Participants


def _participants_page(group_id: int, status: int = 200, form: JoinForm | None = None,
                       error: str | None = None) -> Response:
    group = _group(group_id, full=True)
    q = request.args.get("q", request.form.get("q", "")).strip()[:100]
    in_organisations = [link.organisation_id for link in group.organisation_links]
    in_projects = [link.project_id for link in group.project_links]
    context = {"group": group, "q": q, "join_form": form or JoinForm(formdata=None).fresh(),
               "error": error,
               "organisations": queries.search_organisations(q, in_organisations) if q else [],
               "projects": queries.search_projects(q, in_projects) if q else []}
    return page_or_fragment("groups/participants.html", "groups/_candidates.html", status,
                            **context)


@bp.get("/groups/<int:group_id>/participants")
def participants(group_id: int):
    """The "add a participant" page: a search over the directory and the projects being
    followed (htmx: the results only)."""
    return _participants_page(group_id)


def _join(group_id: int, kind: str) -> Response:
    group = _group(group_id)
    form = JoinForm()
    if not form.validate_on_submit():
        return _participants_page(group_id, 422, form)
    chosen = parse_int(request.form.get(f"{kind}_id"))
    target = (queries.organisation(chosen) if kind == "organisation"
              else queries.project(chosen)) if chosen is not None else None
    if target is None:
        abort(404)
    try:
        if kind == "organisation":
            services.add_organisation(current_user, group, target, form.joined_on.data)
            message = _("%(name)s takes part in the group.", name=target.name)
        else:
            services.add_project(current_user, group, target, form.joined_on.data)
            message = _("%(name)s takes part in the group.", name=target.title)
    except services.GroupError as error:
        db.session.rollback()
        return _participants_page(group_id, 422, form, str(error))
    db.session.commit()
    return _back(message, _show_url(group_id, "group-participants"))


@bp.post("/groups/<int:group_id>/organisations")
def add_organisation(group_id: int):
    return _join(group_id, "organisation")


@bp.post("/groups/<int:group_id>/projects")
def add_project(group_id: int):
    return _join(group_id, "project")


@bp.post("/groups/<int:group_id>/organisations/<int:organisation_id>/remove")
def remove_organisation(group_id: int, organisation_id: int):
    group = _group(group_id, full=True)
    link = next((link for link in group.organisation_links
                 if link.organisation_id == organisation_id), None)
    if link is None:
        return _back(_("This organisation no longer takes part."),
                     _show_url(group_id, "group-participants"), "info")
    if not confirmed():
        return ask_first(_("Remove %(name)s from the group?", name=link.organisation.name),
                         _show_url(group_id), action_label=_("Remove"))
    name = link.organisation.name
    services.remove_organisation(group, organisation_id)
    db.session.commit()
    return _back(_("%(name)s no longer takes part in the group.", name=name),
                 _show_url(group_id, "group-participants"))


@bp.post("/groups/<int:group_id>/projects/<int:project_id>/remove")
def remove_project(group_id: int, project_id: int):
    group = _group(group_id, full=True)
    link = next((link for link in group.project_links if link.project_id == project_id),
                None)
    if link is None:
        return _back(_("This project no longer takes part."),
                     _show_url(group_id, "group-participants"), "info")
    if not confirmed():
        return ask_first(_("Remove %(name)s from the group?", name=link.project.title),
                         _show_url(group_id), action_label=_("Remove"))
    title = link.project.title
    services.remove_project(current_user, group, project_id)
    db.session.commit()
    return _back(_("%(name)s no longer takes part in the group.", name=title),
                 _show_url(group_id, "group-participants"))


# Meetings


def _meeting_form_page(group: WorkingGroup, form: MeetingForm, meeting: GroupMeeting | None = None,
                       status: int = 200, conflict: bool = False) -> Response:
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("groups/meeting_form.html", status, group=group, form=form,
                  meeting=meeting, conflict=conflict, pole_timezone=str(get_timezone()))


@bp.route("/groups/<int:group_id>/meetings/new", methods=["GET", "POST"])
def new_meeting(group_id: int):
    group = _group(group_id)
    if group.is_archived:
        fail(422, _("%(name)s is archived: bring it back first.", name=group.name))
    if request.method == "GET":
        return _meeting_form_page(group, MeetingForm(formdata=None))
    form = MeetingForm()
    if not form.validate_on_submit():
        return _meeting_form_page(group, form, None)
    try:
        ticket = once.claim("meeting", group.id)
    except once.AlreadyUsed as used:
        db.session.rollback()
        if used.kind == "groupmeeting" and used.id is not None:
            return once.replayed(_meeting_url(group_id, used.id),
                                 _("This meeting was already added: here it is."))
        return once.replayed(_show_url(group_id), _("This meeting was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _meeting_form_page(group, form, None, 422)
    try:
        meeting = services.create_meeting(current_user, group, **form.values())
    except services.GroupError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _meeting_form_page(_group(group_id), form, None, 422)
    once.created(ticket, meeting)
    db.session.commit()
    return _back(_("Meeting added."), _show_url(group_id, "group-meetings"))


def _meeting_page(group_id: int, meeting_id: int, status: int = 200,
                  form: AttendanceForm | None = None) -> Response:
    page = queries.group_page(group_id)
    meeting = next((m for m in page.group.meetings if m.id == meeting_id), None) if page else None
    if meeting is None:
        abort(404)
    form = form or AttendanceForm(formdata=None)
    form.person.choices = [("", _("Someone else (type the name)"))] + [
        (person.key, f"{person.name} — {person.detail}" if person.detail else person.name)
        for person in queries.attendance_people(page)]
    return render("groups/meeting.html", status, group=page.group, meeting=meeting,
                  attendance_form=form)


@bp.get("/groups/<int:group_id>/meetings/<int:meeting_id>")
def meeting(group_id: int, meeting_id: int):
    """A meeting: when, where, agenda, minutes, attendance (with the form to record it)."""
    return _meeting_page(group_id, meeting_id)


@bp.route("/groups/<int:group_id>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(group_id: int, meeting_id: int):
    group = _group(group_id)
    meeting = _meeting(group_id, meeting_id)
    if request.method == "GET":
        return _meeting_form_page(group, MeetingForm.for_meeting(meeting, formdata=None),
                                  meeting)
    form = MeetingForm()
    if not form.validate_on_submit():
        return _meeting_form_page(group, form, meeting)
    seen = form.seen_version()
    try:
        services.update_meeting(meeting, seen, **form.values())
    except services.GroupError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _meeting_form_page(_group(group_id), form, _meeting(group_id, meeting_id), 422)
    except StaleVersion:
        db.session.rollback()
        meeting = _meeting(group_id, meeting_id)
        form.show_version(meeting.version)
        return _meeting_form_page(_group(group_id), form, meeting, 409, conflict=True)
    db.session.commit()
    return _back(_("Meeting saved."), _meeting_url(group_id, meeting_id))


@bp.post("/groups/<int:group_id>/meetings/<int:meeting_id>/cancel")
def cancel_meeting(group_id: int, meeting_id: int):
    """Cancel (cancelled=1) or restore (cancelled=0) a meeting, after confirmation."""
    meeting = _meeting(group_id, meeting_id)
    cancelled = request.form.get("cancelled") == "1"
    if cancelled == (meeting.cancelled_at is not None):
        return _back(_("Already cancelled.") if cancelled else _("Already restored."),
                     _meeting_url(group_id, meeting_id), "info")
    if not confirmed():
        return ask_first(_("Cancel this meeting? It stays in the list, struck through.")
                         if cancelled else _("Restore this meeting?"),
                         _meeting_url(group_id, meeting_id),
                         action_label=_("Cancel the meeting") if cancelled
                         else _("Restore the meeting"))
    try:
        services.set_cancelled(meeting, cancelled, _seen_version())
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this meeting since you opened it. Look at it again."))
    db.session.commit()
    return _back(_("Meeting cancelled.") if cancelled else _("Meeting restored."),
                 _meeting_url(group_id, meeting_id))


@bp.post("/groups/<int:group_id>/meetings/<int:meeting_id>/delete")
def delete_meeting(group_id: int, meeting_id: int):
    meeting = _meeting(group_id, meeting_id)
    if not confirmed():
        return ask_first(_("Delete this meeting? This cannot be undone."),
                         _meeting_url(group_id, meeting_id), action_label=_("Delete"))
    try:
        services.delete_meeting(meeting, _seen_version())
    except services.GroupError as error:
        db.session.rollback()
        fail(409, str(error))
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this meeting since you opened it. Look at it again."))
    db.session.commit()
    return _back(_("Meeting deleted."), _show_url(group_id, "group-meetings"))


@bp.post("/groups/<int:group_id>/meetings/<int:meeting_id>/attendance")
def add_attendance(group_id: int, meeting_id: int):
    """Record someone's attendance: a person the page offered, or a name typed."""
    meeting = _meeting(group_id, meeting_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _meeting_page(group_id, meeting_id, 422, form)
    person = None
    if form.person.data:
        page = queries.group_page(group_id)
        person = next((p for p in queries.attendance_people(page)
                       if p.key == form.person.data), None)
        if person is None:  # someone who left the group meanwhile, or a forged value
            form.person.errors.append(_("Choose a person from the list."))
            return _meeting_page(group_id, meeting_id, 422, form)
    elif not form.name.data:
        form.name.errors.append(_("Choose a person or type a name."))
        return _meeting_page(group_id, meeting_id, 422, form)
    try:
        services.record_attendance(
            meeting, name=person.name if person else form.name.data, status=form.status.data,
            organisation_id=person.organisation_id if person else None,
            project_id=person.project_id if person else None,
            user_id=person.user_id if person else None)
    except services.GroupError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _meeting_page(group_id, meeting_id, 422, form)
    db.session.commit()
    return _back(_("Attendance recorded."), _meeting_url(group_id, meeting_id,
                                                          "meeting-attendance"))


@bp.post("/groups/<int:group_id>/meetings/<int:meeting_id>/attendance/<int:attendance_id>"
         "/delete")
def remove_attendance(group_id: int, meeting_id: int, attendance_id: int):
    meeting = _meeting(group_id, meeting_id)
    back = _meeting_url(group_id, meeting_id, "meeting-attendance")
    if not confirmed():
        return ask_first(_("Remove this line from the attendance?"), back,
                         action_label=_("Remove"))
    if not services.remove_attendance(meeting, attendance_id):
        return _back(_("This line was already removed."), back, "info")
    db.session.commit()
    return _back(_("Attendance line removed."), back)


# The calendar


@bp.get("/groups/<int:group_id>/calendar.ics")
def calendar(group_id: int):
    """The group's meetings as an iCalendar file (a download)."""
    group = _group(group_id, full=True)
    body = group_calendar(group, list(group.meetings), utcnow())
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(group)}"'
    return vary_on_htmx(response)
