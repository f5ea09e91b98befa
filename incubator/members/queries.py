"""Reads of the organisations directory: the filtered, sorted, paginated list (a fixed
number of SQL statements whatever the page size) and one organisation's page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organisation, OrganisationContact, OrganisationFamily
from ..text import like_key, one_spelling, search_key

PER_PAGE = 25
SORTS = ("name", "commune", "headcount", "member_since")


@dataclass
class DirectoryFilters:
    """The list's search, filters and sort, as read from the URL."""

    q: str = ""
    family: str = ""
    member: str = ""  # "yes", "no" or ""
    sector: str = ""
    commune: str = ""
    skill: str = ""
    employer: str = ""  # "yes", "no" or ""
    archived: bool = False
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> DirectoryFilters:
        def choice(name: str, allowed) -> str:
            value = args.get(name, "").strip()
            return value if value in allowed else ""

        return cls(
            q=args.get("q", "").strip()[:200],
            family=choice("family", {f.value for f in OrganisationFamily}),
            member=choice("member", {"yes", "no"}),
            sector=args.get("sector", "").strip()[:100],
            commune=args.get("commune", "").strip()[:100],
            skill=args.get("skill", "").strip()[:100],
            employer=choice("employer", {"yes", "no"}),
            archived=args.get("archived") == "1",
            sort=choice("sort", SORTS) or "name",
        )

    def args(self) -> dict:
        """The non-empty parts, for links (pagination) that keep them."""
        values = {"q": self.q, "family": self.family, "member": self.member,
                  "sector": self.sector, "commune": self.commune, "skill": self.skill,
                  "employer": self.employer,
                  "archived": "1" if self.archived else "",
                  "sort": "" if self.sort == "name" else self.sort}
        return {name: value for name, value in values.items() if value}


def directory_statement(filters: DirectoryFilters) -> Select:
    """The organisations matching ``filters``, in the chosen order."""
    statement = select(Organisation)
    if not filters.archived:
        statement = statement.where(Organisation.archived_at.is_(None))
    if filters.q:
        statement = statement.where(like_key(Organisation.search_text, filters.q))
    if filters.family:
        statement = statement.where(Organisation.family == filters.family)
    if filters.member:
        statement = statement.where(Organisation.is_member.is_(filters.member == "yes"))
    if filters.employer:
        statement = statement.where(Organisation.employer.is_(filters.employer == "yes"))
    if filters.sector:
        statement = statement.where(Organisation.sector_key == search_key(filters.sector))
    if filters.skill:
        statement = statement.where(like_key(Organisation.skills_key, filters.skill))
    if filters.commune:
        statement = statement.where(Organisation.commune_key == search_key(filters.commune))
    # The keys sort as French does for the letters (accents and case only break ties).
    order = {
        "name": (Organisation.name_key,),
        "commune": (Organisation.commune_key, Organisation.name_key),
        "headcount": (Organisation.headcount.desc().nulls_last(), Organisation.name_key),
        "member_since": (Organisation.member_since.nulls_last(), Organisation.name_key),
    }[filters.sort]
    return statement.order_by(*order, Organisation.id)


def directory_page(filters: DirectoryFilters, page: int):
    """One page of the directory (a count and a page: two statements)."""
    return db.paginate(directory_statement(filters), page=page, per_page=PER_PAGE,
                       error_out=False)


def filter_choices() -> dict[str, list[str]]:
    """The sectors and communes offered by the filters, one spelling each."""
    def counts(column):
        rows = db.session.execute(
            select(column, func.count()).where(column != "",
                                               Organisation.archived_at.is_(None))
            .group_by(column))
        return [(value, count) for value, count in rows]

    return {"sectors": one_spelling(counts(Organisation.sector)),
            "communes": one_spelling(counts(Organisation.commune))}


def organisation(organisation_id: int, *, with_contacts: bool) -> Organisation | None:
    """The organisation with what its page shows (its contacts when they are shown)."""
    statement = select(Organisation).where(Organisation.id == organisation_id)
    if with_contacts:
        # With each contact's mentor account (its state is shown to staff).
        statement = statement.options(
            selectinload(Organisation.contacts).joinedload(OrganisationContact.user))
    return db.session.scalars(statement).one_or_none()


def contact_of(organisation_id: int, contact_id: int) -> OrganisationContact | None:
    """The contact person ``contact_id`` of that organisation (None when elsewhere)."""
    return db.session.scalars(select(OrganisationContact).where(
        OrganisationContact.id == contact_id,
        OrganisationContact.organisation_id == organisation_id)).one_or_none()
