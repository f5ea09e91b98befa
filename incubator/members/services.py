"""Writes on the organisations directory: create, archive, delete (flushed, never
committed: the route commits)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext, ngettext
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import (
    GroupOrganisation,
    Mentorship,
    Organisation,
    OrganisationContact,
    Partner,
    User,
    utcnow,
)
from ..versions import StaleVersion, save_version


# What may link an organisation (mentorships, working groups… in later issues): each
# function returns a description of the links it finds ("" when none). ``links_of`` asks
# them all before a delete.
def _mentorships(organisation: Organisation) -> str:
    """Its mentorships, current or past (their hours are the pole's record): one count."""
    count = db.session.scalar(select(func.count()).select_from(Mentorship).where(
        Mentorship.organisation_id == organisation.id))
    if not count:
        return ""
    return ngettext("it mentors or mentored %(num)d project",
                    "it mentors or mentored %(num)d projects", count)


def _groups(organisation: Organisation) -> str:
    """The working groups it takes part in (issue 11): one count."""
    count = db.session.scalar(select(func.count()).select_from(GroupOrganisation).where(
        GroupOrganisation.organisation_id == organisation.id))
    if not count:
        return ""
    return ngettext("it takes part in %(num)d working group",
                    "it takes part in %(num)d working groups", count)


def _partner(organisation: Organisation) -> str:
    """The partner it is too (issue 11: its supports and history hang on it)."""
    is_partner = db.session.scalar(select(func.count()).select_from(Partner).where(
        Partner.organisation_id == organisation.id))
    return gettext("it is also a partner") if is_partner else ""


LINK_CHECKS: list[Callable[[Organisation], str]] = [_mentorships, _groups, _partner]


def links_of(organisation: Organisation) -> list[str]:
    """Descriptions of what links ``organisation`` (empty: it may be deleted)."""
    return [found for check in LINK_CHECKS if (found := check(organisation))]


def create_organisation(author: User | None, *, contacts: tuple[dict, ...] = (),
                        **fields) -> Organisation:
    """A new organisation of the directory, with its contact people."""
    organisation = Organisation(created_by_id=author.id if author else None, **fields)
    organisation.contacts = [OrganisationContact(**contact) for contact in contacts]
    db.session.add(organisation)
    db.session.flush()
    return organisation


def set_archived(organisation: Organisation, archived: bool,
                 seen_version: int | None = None) -> None:
    """Archive (hidden from the list by default, kept with its history) or bring back;
    version-checked when ``seen_version`` is given (raises versions.StaleVersion)."""
    save_version(organisation, organisation.version if seen_version is None else seen_version,
                 archived_at=utcnow() if archived else None, updated_at=utcnow())


def delete_organisation(organisation: Organisation,
                        seen_version: int | None = None) -> list[str]:
    """Delete ``organisation`` and its contact people unless something links it; returns
    what links it (nothing deleted then). Version-checked when ``seen_version`` is given:
    raises versions.StaleVersion when the organisation changed since (the caller rolls
    back, the contacts' delete with it)."""
    links = links_of(organisation)
    if not links:
        # Explicitly: SQLite enforces no ON DELETE CASCADE without its foreign-keys pragma.
        db.session.execute(delete(OrganisationContact).where(
            OrganisationContact.organisation_id == organisation.id))
        if seen_version is None:
            db.session.delete(organisation)
        else:
            # One statement decides, as save_version does for edits: a change committed by
            # a colleague in between leaves no row at that version.
            deleted = db.session.execute(
                delete(Organisation)
                .where(Organisation.id == organisation.id,
                       Organisation.version == seen_version)
                .execution_options(synchronize_session=False))
            if deleted.rowcount != 1:
                raise StaleVersion()
            db.session.expunge(organisation)
        db.session.flush()
    return links


def update_organisation(organisation: Organisation, seen_version: int | None,
                        **values) -> None:
    """Write ``values`` on ``organisation`` if nobody changed it since ``seen_version``
    (raises versions.StaleVersion otherwise)."""
    save_version(organisation, seen_version, updated_at=utcnow(), **values)


def add_contact(organisation: Organisation, **fields) -> OrganisationContact:
    """A new contact person of ``organisation``."""
    contact = OrganisationContact(organisation_id=organisation.id, **fields)
    db.session.add(contact)
    db.session.flush()
    return contact


def remove_contact(contact: OrganisationContact) -> None:
    """Forget a contact person (personal data: no copy is kept)."""
    db.session.delete(contact)
    db.session.flush()
