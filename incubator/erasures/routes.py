"""The erasure pages (managers only, docs/erasure.md).

GET ``/admin/users/<id>/erase`` (or ``/admin/contacts/<id>/erase``) introduces the erasure;
a POST (the users table's « Erase… » button, or the page's) shows what erasing the person
removes, rewrites and keeps, the documents to decide on and the free-text mentions found
(computed by doing the erasure in a savepoint rolled back: hence a POST, a GET writes
nothing); a POST with ``confirm=1`` erases (the person's name typed again, the preview's
fingerprint, a one-time token). Refusals: 403 (not a manager, or their own account), 409 (already erased, or the
preview no longer true: shown again with the new counts), 422 (the name does not match).
Plain pages and forms: erasing is rare and deliberate, a full page suits it.
"""

from __future__ import annotations

import os

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import once
from ..admin.forms import ActionForm
from ..confirm import confirmed
from ..errors import fail
from ..extensions import db
from ..htmx import render
from ..models import Erasure, OrganisationContact, PartnerContact, User
from ..permissions import can_erase, manager_required
from ..privacy import erasure as service
from ..security_log import record
from . import bp
from .forms import ErasureForm


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _contact_or_404(contact_id: int) -> OrganisationContact:
    contact = db.session.get(OrganisationContact, contact_id)
    if contact is None:
        abort(404)
    return contact


def _already_erased(column, target_id: int, form_name: str | None = None):
    """409: the person was erased before; the page names the erasure's number only. The
    same confirmation sent again (``form_name``'s token already spent) is sent, 303, to the
    erasure it made."""
    if form_name and request.method == "POST":
        try:
            once.claim(form_name, target_id)
        except once.AlreadyUsed as first:
            db.session.rollback()
            if first.id:
                return once.replayed(url_for("erasures.show", number=first.id),
                                     _("This erasure was already confirmed."))
        except once.InvalidFormToken:
            pass
        db.session.rollback()
    number = db.session.scalar(select(Erasure.id).where(column == target_id))
    return render("erasures/erased.html", 409, number=number)


def _show(person: service.Person, form: ErasureForm, status: int = 200, **context):
    outcome = service.preview(person, current_user)
    form.offer(outcome.documents)
    if status == 409 or not form.fingerprint.data:
        form.fingerprint.data = outcome.fingerprint
    return render("erasures/erase.html", status, person=person, outcome=outcome, form=form,
                  mentions=_described(outcome.mentions), **context)


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@manager_required
def erase_user(user_id: int):
    """Preview (GET) and confirm (POST) the erasure of an account."""
    user = _user_or_404(user_id)
    if not can_erase(current_user, user):
        fail(403, _("You cannot erase your own account: another manager must do it."))
    if service.is_erased(user):
        return _already_erased(Erasure.user_id, user.id, "erase-user")
    return _erase(service.person_for_user(user), "erase-user")


@bp.route("/admin/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@manager_required
def erase_contact(contact_id: int):
    """Preview and confirm the erasure of an organisation's contact without an account (a
    contact with an account is erased with the account)."""
    contact = _contact_or_404(contact_id)
    if contact.user_id is not None:
        return redirect(url_for("erasures.erase_user", user_id=contact.user_id), code=303)
    return _erase(service.person_for_contact(contact), "erase-contact")


def _erase(person: service.Person, form_name: str):
    if request.method == "GET":
        # A GET writes nothing, not even in a savepoint: the preview is a POST (its button).
        return render("erasures/erase.html", person=person, outcome=None,
                      form=ErasureForm(formdata=None))
    if not confirmed():
        if not ActionForm().validate_on_submit():
            abort(400)
        return _show(person, ErasureForm(formdata=None))
    form = ErasureForm()
    form.offer(service.documents_to_decide(person))
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _show(person, form, 422)
    try:
        used = once.claim(form_name, person.id)
    except once.InvalidFormToken:
        db.session.rollback()
        return _show(person, form, 422, problem=once.stale_message())
    except once.AlreadyUsed as first:
        db.session.rollback()
        target = (url_for("erasures.show", number=first.id) if first.id
                  else url_for("erasures.index"))
        return once.replayed(target, _("This erasure was already confirmed."))
    if not form.confirms(person.display_name):
        db.session.rollback()
        form.name.errors = [_("This is not the person's name as shown above: type it again "
                              "to confirm.")]
        return _show(person, form, 422)
    try:
        erased, _outcome = service.erase(person, current_user,
                                         kept_document_ids=form.kept_ids(),
                                         # No fingerprint: no preview was seen (stale).
                                         fingerprint=form.fingerprint.data or "")
    except service.ErasureRefused as refused:
        db.session.rollback()
        if refused.reason == "self":
            fail(403, _("You cannot erase your own account: another manager must do it."))
        return _already_erased(service.target_column(person.kind), person.id)
    except service.StalePreview:
        db.session.rollback()
        form.fingerprint.data = ""
        return _show(person, form, 409, stale=True)
    once.created(used, erased)
    number, kind = erased.id, erased.kind
    db.session.commit()
    record("person.erased", number=number, kind=kind, by_id=current_user.id)
    message = _("The person is erased: they now appear as “%(pseudonym)s”.",
                pseudonym=service.pseudonym(number))
    try:
        service.append_to_log(db.session.get(Erasure, number))
    except OSError:
        current_app.logger.exception("erasure %s not written to the erasure log", number)
        flash(_("The erasure could not be added to the erasure log file: run “flask erasures "
                "replay” to write it, before the next backup."), "error")
    if (path := current_app.config.get("SECURITY_LOG_FILE")) and os.path.exists(path):
        try:
            service.redact_security_log(path, person, number)
        except OSError:
            current_app.logger.exception("security log %s not redacted", path)
    flash(message, "success")
    return redirect(url_for("erasures.show", number=number), code=303)


@bp.route("/admin/partner-contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@manager_required
def erase_partner_contact(contact_id: int):
    """Preview and confirm the erasure of a contact person of a partner body."""
    contact = db.session.get(PartnerContact, contact_id)
    if contact is None:
        abort(404)
    return _erase(service.person_for_partner_contact(contact), "erase-partner-contact")


@bp.get("/admin/erasures")
@manager_required
def index():
    """Every erasure done: number, when, by whom, free-text mentions left to review."""
    erasures = db.session.scalars(select(Erasure).options(joinedload(Erasure.erased_by))
                                  .order_by(Erasure.id.desc())).all()
    return render("erasures/index.html", erasures=erasures, pseudonym=service.pseudonym)


@bp.get("/admin/erasures/<int:number>")
@manager_required
def show(number: int):
    """One erasure: its pseudonym, when, by whom, and the free text by others that still
    mentions the person (where, never the text), for the manager to review."""
    erased = db.session.scalar(select(Erasure).options(joinedload(Erasure.erased_by))
                               .where(Erasure.id == number))
    if erased is None:
        abort(404)
    mentions = _described([service.Mention(*m) for m in erased.mentions or []])
    return render("erasures/show.html", erasure=erased, mentions=mentions,
                  pseudonym=service.pseudonym(number))


#: What a mention's place is called on the pages (table, column → msgid).
PLACES = {
    ("notes", "body"): _l("Note"),
    ("note_revisions", "body"): _l("Earlier text of a note"),
    ("next_steps", "title"): _l("Next step"),
    ("stage_moves", "comment"): _l("Comment of a stage move"),
    ("status_changes", "reason"): _l("Reason of a status change"),
    ("projects", "title"): _l("Project title"),
    ("projects", "pitch"): _l("Project pitch"),
    ("projects", "need"): _l("Need addressed"),
    ("projects", "planned_activity"): _l("Planned activity"),
    ("projects", "outcome_reason"): _l("Reason of the outcome"),
    ("documents", "filename"): _l("Document name"),
    ("mentoring_hours", "note"): _l("Note on mentoring hours"),
    ("accompaniment_time", "note"): _l("Note on accompaniment time"),
    ("supports", "comment"): _l("Comment of a support"),
    ("referrals", "reason"): _l("Reason of a referral"),
    ("committee_reviews", "comments"): _l("Committee comments"),
    ("committee_reviews", "conditions"): _l("Committee conditions"),
    ("group_meetings", "minutes"): _l("Minutes of a meeting"),
    ("organisations", "notes"): _l("Notes on an organisation"),
}


def _described(mentions: list[service.Mention]) -> list[dict]:
    """Each mention with a label for its place and, when it belongs to a project, the
    project's id for a link."""
    described = []
    for mention in mentions:
        place = PLACES.get((mention.table, mention.column))
        label = str(place) if place else _("%(table)s, column %(column)s",
                                         table=mention.table, column=mention.column)
        described.append({"label": label, "row": mention.row_id,
                          "project_id": mention.project_id
                          if mention.project_id is not None else _project_of(mention)})
    return described


def _project_of(mention: service.Mention) -> int | None:
    """The project of a stored mention (the record keeps table, column and row only)."""
    table = db.metadata.tables.get(mention.table)
    if table is None or "project_id" not in table.columns:
        return None
    key = table.primary_key.columns.values()[0]
    return db.session.scalar(select(table.c.project_id).where(key == mention.row_id))
