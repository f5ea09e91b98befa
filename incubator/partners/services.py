"""Writes on the partner bodies: create, edit (version-checked), archive, delete (guarded by
what links a partner), contacts, and an organisation of the directory made a partner
(flushed, never committed: the route commits)."""

from __future__ import annotations

from flask_babel import gettext, ngettext
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Organisation, Partner, PartnerContact, PartnerKind, User, utcnow
from ..versions import StaleVersion, save_version
from . import queries


class PartnersError(ValueError):
    """A change refused, with a message for the user."""


def links_of(partner: Partner) -> list[str]:
    """Descriptions of what links ``partner`` (empty: it may be deleted), one statement."""
    counts = queries.linked_counts(partner.id)
    messages = {
        "supports": lambda n: ngettext("%(num)d support to a project",
                                       "%(num)d supports to projects", n),
        "referrals": lambda n: ngettext("%(num)d referral", "%(num)d referrals", n),
        "seats": lambda n: ngettext("%(num)d seat at a committee sitting",
                                    "%(num)d seats at committee sittings", n),
        "events": lambda n: ngettext("%(num)d event in projects' histories",
                                     "%(num)d events in projects' histories", n),
    }
    return [messages[name](count) for name, count in counts.items() if count]


def create_partner(author: User | None, *, contacts: tuple[dict, ...] = (),
                   **fields) -> Partner:
    """A new partner body with its contact people."""
    partner = Partner(created_by_id=author.id if author else None, **fields)
    partner.contacts = [PartnerContact(**contact) for contact in contacts]
    db.session.add(partner)
    db.session.flush()
    return partner


def make_partner_of(author: User | None, organisation: Organisation, kind: str) -> Partner:
    """The organisation of the directory made a partner too (its name, SIRET and contacts
    are the partner's). Raises PartnersError when it already is one (checked first; the
    unique index decides between two requests arriving together), or when a partner entered
    on its own has its name or SIRET (the same body would be there twice)."""
    if kind not in {k.value for k in PartnerKind}:
        raise PartnersError(gettext("Choose a kind of partner."))
    if queries.partner_of_organisation(organisation.id) is not None:
        raise PartnersError(gettext("%(name)s is already a partner.", name=organisation.name))
    if queries.already_a_partner(organisation.siret, organisation.name) is not None:
        raise PartnersError(gettext(
            "A partner with the name or SIRET of %(name)s is already entered on its own: "
            "open it in the partners rather than entering the same body twice.",
            name=organisation.name))
    partner = Partner(organisation_id=organisation.id, kind=kind,
                      created_by_id=author.id if author else None)
    try:
        with db.session.begin_nested():
            db.session.add(partner)
    except IntegrityError:
        raise PartnersError(gettext("%(name)s is already a partner.",
                                    name=organisation.name)) from None
    return partner


def update_partner(partner: Partner, seen_version: int | None, **values) -> None:
    """Write ``values`` on ``partner`` if nobody changed it since ``seen_version`` (raises
    versions.StaleVersion otherwise)."""
    save_version(partner, seen_version, updated_at=utcnow(), **values)


def set_archived(partner: Partner, archived: bool, seen_version: int | None = None) -> None:
    """Archive (hidden from the list by default, kept with its history) or bring back;
    version-checked (raises versions.StaleVersion)."""
    save_version(partner, partner.version if seen_version is None else seen_version,
                 archived_at=utcnow() if archived else None, updated_at=utcnow())


def delete_partner(partner: Partner, seen_version: int | None = None) -> list[str]:
    """Delete ``partner`` and its contacts unless something links it; returns what links
    it (nothing deleted then). Version-checked when ``seen_version`` is given (raises
    versions.StaleVersion). The foreign keys (RESTRICT) are the backstop of the check."""
    links = links_of(partner)
    if links:
        return links
    db.session.execute(delete(PartnerContact).where(PartnerContact.partner_id == partner.id))
    statement = delete(Partner).where(Partner.id == partner.id)
    if seen_version is not None:
        statement = statement.where(Partner.version == seen_version)
    deleted = db.session.execute(statement.execution_options(synchronize_session=False))
    if deleted.rowcount != 1:
        raise StaleVersion()
    db.session.expunge(partner)
    db.session.flush()
    return []


def add_contact(partner: Partner, **fields) -> PartnerContact:
    """A new contact person of ``partner``."""
    contact = PartnerContact(partner_id=partner.id, **fields)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: PartnerContact, **fields) -> None:
    """Change a contact person's name, role, e-mail or phone."""
    for name, value in fields.items():
        setattr(contact, name, value)
    db.session.flush()


def remove_contact(contact: PartnerContact) -> None:
    """Forget a contact person (personal data: no copy is kept)."""
    db.session.delete(contact)
    db.session.flush()
