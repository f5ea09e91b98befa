"""Reads of the organisations directory: the filtered, sorted, paginated list (a fixed
number of SQL statements whatever the page size) and one organisation's page."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organisation, OrganisationContact, OrganisationFamily, column_key
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

    def spelt_as(self, choices: dict[str, list[str]]) -> DirectoryFilters:
        """These filters with the sector and commune in the spelling the filters offer
        (``filter_choices``) when one has the same search key: ``?commune=REDON`` selects
        "Redon" in the form, as it filters on it."""
        def offered(value: str, spellings: list[str]) -> str:
            key = search_key(value)
            return next((spelling for spelling in spellings if search_key(spelling) == key),
                        value)

        return replace(self, sector=offered(self.sector, choices["sectors"]),
                       commune=offered(self.commune, choices["communes"]))

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
        sector = column_key(Organisation.sector_key, filters.sector)
        statement = statement.where(Organisation.sector_key == sector)
    if filters.skill:
        statement = statement.where(like_key(Organisation.skills_key, filters.skill))
    if filters.commune:
        commune = column_key(Organisation.commune_key, filters.commune)
        statement = statement.where(Organisation.commune_key == commune)
    # The keys sort as French does for the letters (accents and case only break ties).
    order = {
        "name": (Organisation.name_key,),
        "commune": (Organisation.commune_key, Organisation.name_key),
        "headcount": (Organisation.headcount.desc().nulls_last(), Organisation.name_key),
        "member_since": (Organisation.member_since.nulls_last(), Organisation.name_key),
    }[filters.sort]
    return statement.order_by(*order, Organisation.id)


def directory_page(filters: DirectoryFilters, page: int):
    """One page of the directory (a count and a page: two statements). A page past the
    last (an old bookmark, organisations deleted since) gives the last page, whose links
    lead somewhere, rather than an empty list "page 99999 of 2"."""
    result = db.paginate(directory_statement(filters), page=page, per_page=PER_PAGE,
                         error_out=False)
    if page > 1 and page > result.pages:
        result = db.paginate(directory_statement(filters), page=max(result.pages, 1),
                             per_page=PER_PAGE, error_out=False)
    return result


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


def already_in_directory(siret: str, name: str, commune: str, *,
                         other_than: int | None = None) -> tuple[str, Organisation] | None:
    """The organisation (archived or not, other than ``other_than``) that an organisation
    with this identity would duplicate: ``("siret", found)`` when one has this SIREN or
    SIRET (compact, as stored), else ``("name", found)`` when one has the same name in the
    same commune, or either commune is not given (search keys: accents, case and spacing
    ignored); None when neither. One statement. A SIRET identifies one establishment in
    the INSEE register; a name can be shared by organisations of different communes (a
    network's local branches)."""
    same_siret = (Organisation.siret == siret) if siret else None
    same_name = Organisation.name_key == column_key(Organisation.name_key, name)
    commune_key = column_key(Organisation.commune_key, commune)
    if commune_key:
        same_name &= Organisation.commune_key.in_((commune_key, ""))
    statement = select(Organisation).where(
        or_(same_name, same_siret) if same_siret is not None else same_name)
    if other_than is not None:
        statement = statement.where(Organisation.id != other_than)
    if same_siret is not None:
        statement = statement.order_by(case((same_siret, 0), else_=1))
    found = db.session.scalars(statement.order_by(Organisation.id).limit(1)).first()
    if found is None:
        return None
    return ("siret" if siret and found.siret == siret else "name"), found


def contact_of(organisation_id: int, contact_id: int) -> OrganisationContact | None:
    """The contact person ``contact_id`` of that organisation (None when elsewhere)."""
    return db.session.scalars(select(OrganisationContact).where(
        OrganisationContact.id == contact_id,
        OrganisationContact.organisation_id == organisation_id)).one_or_none()
