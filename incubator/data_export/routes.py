"""The data export pages (GDPR right of access and portability; docs/privacy-export.md).

- ``/account/data``: every signed-in person; the page says what the archive holds, its
  button (a POST with CSRF) downloads it;
- ``/privacy/people/<kind>/<id>/export``: a manager, for any account or contact person
  (kind ``user``, ``organisation-contact``, ``partner-contact``); the page names the person
  and what will be exported, the POST must carry the confirmation (``confirm=1``).

Every download is recorded in the security log (``personal_data.exported``: who, whose,
which kind) before the archive starts. The answer streams the ZIP as it is written
(``zipstream-ng`` inside ``stream_with_context``: the documents are read from the database
while the answer goes out).
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..confirm import ask_first, confirmed
from ..extensions import limiter
from ..i18n import de, pole_today
from ..models import OrganisationContact, PartnerContact, User
from ..permissions import can_export_own_data, can_export_personal_data
from ..security_log import record as log_event
from . import bp, portability
from .forms import ExportForm

# Per account (an export is costly: every table about a person, and their documents).
export_limit = limiter.limit(lambda: current_app.config["DATA_EXPORT_LIMIT"], methods=["POST"],
                             key_func=lambda: f"data-export:{current_user.get_id()}")

# URL segment → the kind of person portability.find_person knows.
KINDS = {"user": portability.USER, "organisation-contact": portability.ORGANISATION_CONTACT,
         "partner-contact": portability.PARTNER_CONTACT}


def _download(export: portability.Export) -> Response:
    today = pole_today()
    stream = portability.archive(export, portability.readme(export, today))
    name = portability.download_name(today)
    return Response(
        stream_with_context(iter(stream)), mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@bp.get("/account/data")
@login_required
def my_data():
    """What "download my data" gives, and its button."""
    if not can_export_own_data(current_user):
        abort(403)
    return render_template("privacy/my_data.html", form=ExportForm(),
                           files=list(portability.FILE_DESCRIPTIONS),
                           descriptions=portability.FILE_DESCRIPTIONS)


@bp.post("/account/data")
@login_required
@export_limit
def download_my_data():
    if not can_export_own_data(current_user):
        abort(403)
    if not ExportForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    export = portability.user_export(user)
    log_event("personal_data.exported", subject=portability.USER, subject_id=user.id,
              by_id=user.id, own=True, documents=len(export.documents))
    return _download(export)


def _person_or_404(kind: str, person_id: int) -> User | OrganisationContact | PartnerContact:
    if not can_export_personal_data(current_user):
        abort(403)
    person = portability.find_person(KINDS.get(kind, ""), person_id)
    if person is None:
        abort(404)
    return person


def _back(person: User | OrganisationContact | PartnerContact) -> str:
    """The page the manager came from: the person's organisation, partner or the users."""
    if isinstance(person, OrganisationContact):
        return url_for("members.show", organisation_id=person.organisation_id)
    if isinstance(person, PartnerContact):
        return url_for("partners.show", partner_id=person.partner_id)
    return url_for("admin.users")


@bp.get("/privacy/people/<kind>/<int:person_id>/export")
@login_required
def person_data(kind: str, person_id: int):
    """A manager's page before exporting someone's data: who, what the archive will hold,
    and the confirmation."""
    person = _person_or_404(kind, person_id)
    export = portability.person_export(person)
    return render_template("privacy/person_data.html", person=person, kind=kind,
                           back=_back(person), form=ExportForm(), files=list(export.files),
                           descriptions=portability.FILE_DESCRIPTIONS,
                           counts=portability.entry_counts(export),
                           document_count=len(export.documents))


@bp.post("/privacy/people/<kind>/<int:person_id>/export")
@login_required
@export_limit
def download_person_data(kind: str, person_id: int):
    person = _person_or_404(kind, person_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return ask_first(_("Export the personal data %(of_name)s?", of_name=de(person.name)),
                         url_for("privacy.person_data", kind=kind, person_id=person_id),
                         action_label=_("Download the data"))
    export = portability.person_export(person)
    own = isinstance(person, User) and person.id == current_user.id
    log_event("personal_data.exported", subject=export.subject, subject_id=export.subject_id,
              by_id=current_user.id, own=own, documents=len(export.documents))
    return _download(export)
