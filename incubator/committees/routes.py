"""Committees (staff): the sittings list (live search: the results fragment for htmx), a
sitting's page (people sitting, agenda, the comparison of scores, the one-click move after a
decision), its create / edit (version-checked) / archive / delete, seats, the agenda, a
project's review (version-checked). The criteria are edited on /admin/lists/criteria
(incubator/lists/); the former /committees/criteria redirects there.

Every change is a plain form: 303 back to the page (``HX-Redirect`` for htmx); a refused
form comes back on its page with its errors (422) or the conflict (409), input kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import once
from ..board.services import Conflict
from ..confirm import ask_first, confirmed
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..forms import page_error
from ..htmx import hx_redirect, is_htmx, page_or_fragment, render, vary_on_htmx
from ..i18n import date_long, localized, pole_today
from ..labels import COMMITTEE_DECISION_LABELS
from ..models import CommitteeDecision, CommitteeReview, CommitteeSitting
from ..params import parse_int, query_int
from ..permissions import can_edit_criteria, can_manage_committees
from ..reference import active_stages
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import (
    NAME_SUGGESTIONS,
    AgendaForm,
    MoveForm,
    ReviewForm,
    SeatForm,
    SittingForm,
    split_choice,
)


@bp.app_template_filter("score")
def _score(value: Decimal | None) -> str:
    """An average score with one decimal, the reader's way ("3,5" in French)."""
    return "" if value is None else format_decimal(value, format="#,##0.0")


@bp.app_template_filter("iso_date_long")
def _iso_date_long(value: str) -> str:
    """A date kept as ISO text (a timeline event's detail), in long form."""
    try:
        return date_long(date.fromisoformat(value))
    except (TypeError, ValueError):
        return ""


@bp.app_context_processor
def _committee_labels() -> dict:
    return {"decision_labels": COMMITTEE_DECISION_LABELS}


def _may_manage() -> None:
    if not can_manage_committees(current_user):
        abort(403)


def _may_edit_criteria() -> None:
    if not can_edit_criteria(current_user):
        abort(403)


def _sitting(sitting_id: int) -> CommitteeSitting:
    sitting = queries.sitting(sitting_id)
    if sitting is None:
        abort(404)
    return sitting


def _show_url(sitting_id: int, anchor: str | None = None) -> str:
    return url_for("committees.show", sitting_id=sitting_id, _anchor=anchor)


def _row(review_id: int) -> str:
    """The agenda row of a review (the anchor a change goes back to)."""
    return dom_id(CommitteeReview, id=review_id)


def _back(message: str, to: str, category: str = "success"):
    flash(message, category)
    return hx_redirect(to)


# The list and a sitting ----------------------------------------------------------------


@bp.get("/committees")
@login_required
def index():
    _may_manage()
    filters = queries.SittingFilters.from_args(request.args)
    listing = queries.sittings_page(filters, query_int("page", 1), pole_today())
    return page_or_fragment("committees/index.html", "committees/_results.html",
                            listing=listing, filters=filters, today=pole_today())


def _move_forms(sitting, stages) -> dict[int, MoveForm]:
    """A move form per decided review whose project is in progress: the next stage by
    default after a favourable decision, else the stage it is at."""
    choices = [SelectChoice(stage.id, localized(stage)) for stage in stages]
    order = [stage.id for stage in stages]
    forms = {}
    if sitting.is_archived:  # read only until brought back
        return forms
    for review in sitting.reviews:
        project = review.project
        if review.decision is None or project.status != "active":
            continue
        default = project.stage_id
        if (review.decision in (CommitteeDecision.GO, CommitteeDecision.GO_WITH_CONDITIONS)
                and project.stage_id in order and order.index(project.stage_id) + 1 < len(order)):
            default = order[order.index(project.stage_id) + 1]
        form = MoveForm(formdata=None, stage_id=default, version=project.version,
                        prefix=f"move{review.id}")
        form.stage_id.choices = choices
        forms[review.id] = form
    return forms


def _sitting_page(sitting_id: int, status: int = 200, **forms):
    sitting = queries.sitting_in_full(sitting_id)
    if sitting is None:
        abort(404)
    choices = queries.seat_choices()
    context = {
        "sitting": sitting, "comparison": queries.comparison(sitting),
        "move_forms": _move_forms(sitting, active_stages()),
        "seat_form": SeatForm(formdata=None).with_choices(choices),
        "q": "", "candidates": None,
    }
    context.update(forms)
    return render("committees/show.html", status, **context)


@bp.get("/committees/<int:sitting_id>")
@login_required
def show(sitting_id: int):
    _may_manage()
    return _sitting_page(sitting_id)


# Creating and editing --------------------------------------------------------------------


def _render_form(form: SittingForm, sitting: CommitteeSitting | None, status: int = 200,
                 conflict: bool = False):
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    names = list(NAME_SUGGESTIONS) + [n for n in services.used_names()
                                      if n not in NAME_SUGGESTIONS]
    return render("committees/form.html", status, form=form, sitting=sitting,
                  conflict=conflict, names=names)


@bp.route("/committees/new", methods=["GET", "POST"])
@login_required
def new():
    _may_manage()
    form = SittingForm()
    if request.method == "GET":
        form = SittingForm(formdata=None)
    if form.validate_on_submit():
        try:
            ticket = once.claim("sitting")
        except once.AlreadyUsed as used:
            db.session.rollback()
            if used.kind == "committeesitting" and used.id is not None:
                return once.replayed(_show_url(used.id),
                                     _("This sitting was already created: here it is."))
            fail(409, _("This form was already sent. Look at the committees before sending "
                        "it again."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            return _render_form(form, None, 422)
        sitting = services.create_sitting(current_user, **form.values())
        once.created(ticket, sitting)
        db.session.commit()
        flash(_("Sitting created."), "success")
        return hx_redirect(_show_url(sitting.id))
    return _render_form(form, None)


@bp.route("/committees/<int:sitting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(sitting_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    form = SittingForm(obj=sitting)
    if form.validate_on_submit():
        seen = form.seen_version()
        try:
            services.update_sitting(sitting, seen, **form.values())
        except StaleVersion:
            db.session.rollback()
            sitting = _sitting(sitting_id)
            form.show_version(sitting.version)
            return _render_form(form, sitting, 409, conflict=True)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return hx_redirect(_show_url(sitting_id))
    return _render_form(form, sitting)


@bp.post("/committees/<int:sitting_id>/archive")
@login_required
def archive(sitting_id: int):
    """Archive (archived=1) or bring back (archived=0), after confirmation."""
    _may_manage()
    sitting = _sitting(sitting_id)
    archived = request.form.get("archived") == "1"
    if archived == sitting.is_archived:
        return _back(_("Already archived.") if archived else _("Already in the list."),
                     _show_url(sitting_id), "info")
    if not confirmed():
        question = (_("Archive %(name)s? It leaves the list but keeps its reviews.",
                      name=sitting.name) if archived else
                    _("Bring %(name)s back into the list?", name=sitting.name))
        return ask_first(question, _show_url(sitting_id),
                         action_label=_("Archive") if archived else _("Unarchive"))
    try:
        services.set_archived(sitting, archived, parse_int(request.form.get("version")))
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this sitting since you opened it. Look at it again "
                    "before archiving."))
    db.session.commit()
    return _back(_("Sitting archived.") if archived else _("Sitting unarchived."),
                 _show_url(sitting_id))


@bp.post("/committees/<int:sitting_id>/delete")
@login_required
def delete(sitting_id: int):
    """Delete after confirmation, unless projects are on the agenda (archive instead)."""
    _may_manage()
    sitting = _sitting(sitting_id)
    name = sitting.name
    if confirmed():
        try:
            services.delete_sitting(sitting, parse_int(request.form.get("version")))
        except services.CommitteeError as error:
            db.session.rollback()
            fail(409, str(error))
        except StaleVersion:
            db.session.rollback()
            fail(409, _("Someone changed this sitting since you opened it. Look at it again "
                        "before deleting it."))
        db.session.commit()
        return _back(_("%(name)s deleted.", name=name), url_for("committees.index"))
    try:  # refused at once, before asking, when it cannot be deleted
        services.check_deletable(sitting)
    except services.CommitteeError as error:
        fail(409, str(error))
    return ask_first(_("Delete %(name)s? This cannot be undone.", name=name),
                     _show_url(sitting_id), action_label=_("Delete"))


# People sitting --------------------------------------------------------------------------


@bp.post("/committees/<int:sitting_id>/seats")
@login_required
def add_seat(sitting_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    form = SeatForm().with_choices(queries.seat_choices())
    if not form.validate_on_submit():
        return _sitting_page(sitting_id, 422, seat_form=form)
    values: dict = {"name": form.name.data or "", "role": form.role.data or ""}
    person = split_choice(form.person.data)
    body = split_choice(form.body.data)
    if form.person.data and person is None or form.body.data and body is None:
        abort(404)
    # Only what the form offers: a contact of an archived partner, or of an organisation
    # that is archived or not a member of the pole, is refused like an unknown one.
    offered = {choice.value for choice in (*form.person.choices, *form.body.choices)}
    if person is not None and form.person.data not in offered \
            or person is None and body is not None and form.body.data not in offered:
        abort(404)
    if person is not None:
        kind, contact_id = person
        contact = (queries.partner_contact(contact_id) if kind == "p"
                   else queries.organisation_contact(contact_id))
        if contact is None:
            abort(404)
        values["partner_contact" if kind == "p" else "organisation_contact"] = contact
        values["name"] = ""  # the contact's own name
    elif body is not None:
        kind, body_id = body
        found = queries.partner(body_id) if kind == "p" else queries.organisation(body_id)
        if found is None:
            abort(404)
        values["partner" if kind == "p" else "organisation"] = found
    try:
        ticket = once.claim("seat", sitting_id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(_show_url(sitting_id, "seats-title"),
                             _("This person was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _sitting_page(sitting_id, 422, seat_form=form)
    try:
        seat = services.add_seat(sitting, **values)
    except services.CommitteeError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _sitting_page(sitting_id, 422, seat_form=form)
    once.created(ticket, seat)
    db.session.commit()
    return _back(_("%(name)s sits on the committee.", name=seat.name),
                 _show_url(sitting_id, "seats-title"))


@bp.post("/committees/<int:sitting_id>/seats/<int:seat_id>/delete")
@login_required
def remove_seat(sitting_id: int, seat_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    seat = queries.seat_of(sitting_id, seat_id)
    if seat is None:
        abort(404)
    if not confirmed():
        return ask_first(_("Remove %(name)s from the people sitting?", name=seat.name),
                         _show_url(sitting_id), action_label=_("Remove"))
    name = seat.name
    try:
        services.remove_seat(sitting, seat)
    except services.CommitteeError as error:
        db.session.rollback()
        fail(422, str(error))
    db.session.commit()
    return _back(_("%(name)s removed from the people sitting.", name=name),
                 _show_url(sitting_id, "seats-title"))


# The agenda ------------------------------------------------------------------------------


@bp.get("/committees/<int:sitting_id>/agenda")
@login_required
def candidates(sitting_id: int):
    """The projects that may go on the agenda, searched by title (htmx: the results only)."""
    _may_manage()
    sitting = _sitting(sitting_id)
    q = request.args.get("q", "").strip()[:100]
    found = queries.agenda_candidates(sitting, q)
    return page_or_fragment("committees/agenda.html", "committees/_candidates.html",
                            sitting=sitting, q=q, candidates=found)


@bp.post("/committees/<int:sitting_id>/agenda")
@login_required
def add_to_agenda(sitting_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    form = AgendaForm()
    project_id = parse_int(form.project_id.data)
    project = queries.agenda_candidate(project_id) if project_id else None
    if project is None:
        abort(404)
    if not form.validate_on_submit():
        fail(422, _("This page is out of date or was altered. Reload it and try again."))
    try:
        services.add_to_agenda(current_user, sitting, project)
    except services.CommitteeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return hx_redirect(_show_url(sitting_id, "agenda-title"))
    db.session.commit()
    return _back(_("%(title)s is on the agenda.", title=project.title),
                 _show_url(sitting_id, "agenda-title"))


def _review(sitting_id: int, review_id: int):
    review = queries.review_of(sitting_id, review_id)
    if review is None:
        abort(404)
    return review


@bp.post("/committees/<int:sitting_id>/agenda/<int:review_id>/move")
@login_required
def move_on_agenda(sitting_id: int, review_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    review = _review(sitting_id, review_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    try:
        services.move_on_agenda(sitting, review, direction)
    except services.CommitteeError as error:
        db.session.rollback()
        fail(422, str(error))
    db.session.commit()
    return _back(_("Agenda reordered."), _show_url(sitting_id, _row(review_id)))


@bp.post("/committees/<int:sitting_id>/agenda/<int:review_id>/delete")
@login_required
def remove_from_agenda(sitting_id: int, review_id: int):
    _may_manage()
    sitting = _sitting(sitting_id)
    review = _review(sitting_id, review_id)
    title = review.project.title
    if review.decision is not None:
        fail(409, _("A decision was taken on this project: it stays on the agenda."))
    if not confirmed():
        return ask_first(_("Take %(title)s off the agenda?", title=title),
                         _show_url(sitting_id), action_label=_("Remove"))
    try:
        services.remove_from_agenda(current_user, sitting, review, review.project_id)
    except services.CommitteeError as error:
        db.session.rollback()
        fail(422, str(error))
    db.session.commit()
    return _back(_("%(title)s taken off the agenda.", title=title),
                 _show_url(sitting_id, "agenda-title"))


# A review --------------------------------------------------------------------------------


def _retired_scores(review, criteria) -> list:
    """(criterion, score) of the review's scores on criteria not offered any more."""
    offered = {c.id for c in criteria}
    scored = [s for s in review.scores if s.criterion_id not in offered]
    if not scored:
        return []
    shown = {c.id: c for c in queries.criteria_for([review.id])}
    return [(shown[s.criterion_id], s.score) for s in scored if s.criterion_id in shown]


@bp.route("/committees/<int:sitting_id>/reviews/<int:review_id>", methods=["GET", "POST"])
@login_required
def review(sitting_id: int, review_id: int):
    """A project's review at the sitting: decision, scores on the active criteria (those
    retired since are shown, kept, not editable), conditions, comments, sharing."""
    _may_manage()
    found = _review(sitting_id, review_id)
    criteria = queries.criteria_for([])  # the active ones
    if request.method == "GET":
        form = ReviewForm.for_criteria(criteria, found, formdata=None)
        return render("committees/review.html", review=found, form=form,
                      retired=_retired_scores(found, criteria))
    form = ReviewForm.for_criteria(criteria)
    status = 422
    if form.validate_on_submit():
        seen = form.seen_version()
        try:
            changed = services.save_review(
                current_user, found.sitting, found, seen, decision=form.decision.data or None,
                scores=form.scores(), conditions=form.conditions.data or "",
                comments=form.comments.data or "", shared=form.shared.data)
        except services.CommitteeError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        except StaleVersion:
            db.session.rollback()
            status = 409
            form.form_errors.append(_("Someone changed this review since you opened the page: "
                                      "here it is as it is now; your input is kept below."))
        else:
            db.session.commit()
            flash(_("Review of %(title)s saved.", title=found.project.title)
                  if changed else _("Nothing to change."), "success" if changed else "info")
            return hx_redirect(_show_url(sitting_id, _row(review_id)))
        found = _review(sitting_id, review_id)
        form.show_version(found.version)
    return render("committees/review.html", status, review=found, form=form,
                  retired=_retired_scores(found, criteria), conflict=status == 409)


@bp.post("/committees/<int:sitting_id>/reviews/<int:review_id>/stage")
@login_required
def move_project(sitting_id: int, review_id: int):
    """The one-click move after a decision (``board.services.move_project``, the decision as
    the move's comment)."""
    _may_manage()
    found = _review(sitting_id, review_id)
    project = found.project
    form = MoveForm(prefix=f"move{review_id}")
    form.stage_id.choices = [SelectChoice(stage.id, localized(stage))
                             for stage in active_stages()]
    if not form.validate_on_submit():
        # A stage no longer offered (retired since the page was drawn) or an altered page:
        # say so, rather than the sitting's page with nothing to read.
        fail(422, page_error(form) or _("This stage cannot be chosen."))
    seen = form.version.data if f"move{review_id}-version" in request.form else None
    try:
        stage = services.move_after_decision(current_user, found.sitting, found, project,
                                             form.stage_id.data, seen)
    except services.CommitteeError as error:
        db.session.rollback()
        fail(422, str(error))
    except Conflict:
        db.session.rollback()
        fail(409, _("Someone changed this project since you opened the page. Look at it "
                    "again before moving it."))
    db.session.commit()
    return _back(_("%(title)s moved to %(stage)s.", title=project.title,
                   stage=localized(stage)), _show_url(sitting_id, _row(review_id)))


# Criteria (edited on the reference lists' page) ---------------------------------------


@bp.get("/committees/criteria")
@login_required
def criteria():
    """The former criteria page: a permanent redirect (308; ``HX-Redirect`` for htmx) to
    ``/admin/lists/criteria``, the criteria's only editor, so bookmarks keep working."""
    _may_edit_criteria()
    target = url_for("lists.show", slug="criteria")
    if is_htmx():
        return hx_redirect(target)
    return vary_on_htmx(redirect(target, code=308))
