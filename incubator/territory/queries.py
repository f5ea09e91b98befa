"""Reads of the territory key figures (docs/territory.md): the ESS establishments of the
organisations directory (of an ESS family: ``ESS_FAMILIES``) and their jobs for a year, by
family, commune and sector, and the
territory's salaried jobs a manager entered (the denominator of the ESS share).

Every figure is one SQL aggregation over ``organisations`` (a fixed number of statements
whatever the directory's size); Python only shapes the few aggregated rows into
``tables.Table`` values and sentences.

The directory "as it was in year Y": an organisation counts when it was entered by the end
of Y (``created_at``, in the pole's time zone) and not archived before then
(``archived_at``); it is a member of the pole that year when it is a member now and joined
in Y or before (``member_since``; unknown: a member since it was entered). The directory
keeps no history of headcounts nor of members who left: a past year uses today's
headcounts, and an organisation that left the pole is counted as a non-member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Numeric, and_, case, cast, func, literal, or_, select

from ..extensions import db
from ..models import Commune, Organisation, OrganisationFamily, TerritoryEmployment
from ..tables import Column, Link, Table, ratio
from ..text import sorted_french

# INSEE's salaried-headcount bands of establishments (``trancheEffectifsEtablissement`` of
# the Sirene register), as (lowest, highest) number of employees; None: no upper bound.
# Source: INSEE, Sirene, "Tranche d'effectif salarié de l'établissement", the labels
# republished by annuaire-entreprises-data-gouv-fr/search-api
# (app/labels/tranches-effectifs.json): NN "Unité non employeuse (pas de salarié au cours de
# l'année de référence et pas d'effectif au 31/12)", 00 "0 salarié (n'ayant pas d'effectif
# au 31/12 mais ayant employé des salariés au cours de l'année de référence)", 01 "1 ou 2
# salariés", 02 "3 à 5", 03 "6 à 9", 11 "10 à 19", 12 "20 à 49", 21 "50 à 99", 22 "100 à
# 199", 31 "200 à 249", 32 "250 à 499", 41 "500 à 999", 42 "1 000 à 1 999", 51 "2 000 à
# 4 999", 52 "5 000 à 9 999", 53 "10 000 salariés et plus".
HEADCOUNT_BAND_BOUNDS: dict[str, tuple[int, int | None]] = {
    "00": (0, 0), "01": (1, 2), "02": (3, 5), "03": (6, 9), "11": (10, 19), "12": (20, 49),
    "21": (50, 99), "22": (100, 199), "31": (200, 249), "32": (250, 499), "41": (500, 999),
    "42": (1000, 1999), "51": (2000, 4999), "52": (5000, 9999), "53": (10000, None),
}


def band_midpoint(code: str) -> Decimal | None:
    """The jobs an establishment of INSEE band ``code`` is counted with when its exact
    headcount is unknown: the middle of the band ("02", 3 to 5: 4; "01", 1 or 2: 1.5).
    "53" (10,000 and more) has no upper bound: it counts its lower bound, 10,000, so the
    estimate never exceeds what the band guarantees. None for "NN" and unknown codes."""
    bounds = HEADCOUNT_BAND_BOUNDS.get(code)
    if bounds is None:
        return None
    low, high = bounds
    return Decimal(low) if high is None else (Decimal(low) + Decimal(high)) / 2


BAND_MIDPOINTS: dict[str, Decimal] = {code: band_midpoint(code)
                                      for code in HEADCOUNT_BAND_BOUNDS}
# Bands that estimate (a range, not one value): "00" is exactly 0 at the end of the year.
ESTIMATED_BANDS = tuple(code for code, (low, high) in HEADCOUNT_BAND_BOUNDS.items()
                        if high != low)
JOBS = Numeric(14, 1)

FAMILY_LABELS = {
    OrganisationFamily.ASSOCIATION.value: _l("Associations"),
    OrganisationFamily.COOPERATIVE.value: _l("Cooperatives"),
    OrganisationFamily.MUTUAL.value: _l("Mutuals"),
    OrganisationFamily.FOUNDATION.value: _l("Foundations"),
    OrganisationFamily.ESUS_COMPANY.value: _l("ESUS companies"),
}
# The ESS families the page counts. An organisation of the directory of no ESS family
# ("other": a local authority, a company outside the ESS, a network entered for its
# contacts) is not an ESS establishment: the pole's figures leave it out, and the page only
# says how many there are.
ESS_FAMILIES = tuple(FAMILY_LABELS)
TABLE_KEYS = ("families", "communes", "sectors", "employment")


# The rules, as SQL expressions on ``organisations`` -------------------------------------


def jobs_of_one() -> ColumnElement:
    """An establishment's jobs: its exact headcount, else the middle of its INSEE band
    (``BAND_MIDPOINTS``, one CASE), else 0 (non-employer "NN", or nothing known)."""
    by_band = case(*((Organisation.headcount_band == code, literal(value, JOBS))
                     for code, value in BAND_MIDPOINTS.items()), else_=literal(0, JOBS))
    return cast(case((Organisation.headcount.is_not(None), cast(Organisation.headcount, JOBS)),
                     else_=by_band), JOBS)


def is_estimated() -> ColumnElement[bool]:
    """Jobs taken from a band's middle: no exact headcount, a band that is a range."""
    return and_(Organisation.headcount.is_(None),
                Organisation.headcount_band.in_(ESTIMATED_BANDS))


def is_employer() -> ColumnElement[bool]:
    """An employer establishment: marked so, or with salaried staff by its headcount, or
    an INSEE band other than "NN" (non-employer)."""
    return or_(Organisation.employer.is_(True), Organisation.headcount > 0,
               Organisation.headcount_band.in_(tuple(HEADCOUNT_BAND_BOUNDS)))


def is_unknown_employer() -> ColumnElement[bool]:
    """An employer with neither headcount nor band: it counts no job (said on the page)."""
    return and_(is_employer(), Organisation.headcount.is_(None),
                Organisation.headcount_band.not_in(tuple(HEADCOUNT_BAND_BOUNDS)))


def end_of_year(year: int) -> datetime:
    """The first instant after ``year`` in the pole's time zone, as aware UTC."""
    zone = get_timezone()
    midnight = datetime(year + 1, 1, 1)
    # pytz zones place a naive time with ``localize`` (``tzinfo=`` would take their LMT).
    local = zone.localize(midnight) if hasattr(zone, "localize") else midnight.replace(
        tzinfo=zone)
    return local.astimezone(UTC)


def in_directory(year: int) -> ColumnElement[bool]:
    """The organisation was in the directory at the end of ``year``: entered by then, not
    archived before then."""
    end = end_of_year(year)
    return and_(Organisation.created_at < end,
                or_(Organisation.archived_at.is_(None), Organisation.archived_at >= end))


def is_ess() -> ColumnElement[bool]:
    """An ESS establishment: of one of the ESS families (``ESS_FAMILIES``)."""
    return Organisation.family.in_(ESS_FAMILIES)


def is_member_in(year: int) -> ColumnElement[bool]:
    """A member of the pole in ``year``: a member now who joined in ``year`` or before
    (joining year unknown: a member since entered)."""
    return and_(Organisation.is_member.is_(True),
                or_(Organisation.member_since.is_(None), Organisation.member_since <= year))


def _count(condition: ColumnElement[bool]) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _jobs_sum(condition: ColumnElement[bool] | None = None) -> ColumnElement:
    jobs = jobs_of_one() if condition is None else case((condition, jobs_of_one()),
                                                        else_=literal(0, JOBS))
    return cast(func.coalesce(func.sum(jobs), literal(0, JOBS)), JOBS)


def _measures(year: int) -> list[ColumnElement]:
    return [func.count(Organisation.id).label("establishments"),
            _count(is_employer()).label("employers"),
            _count(is_member_in(year)).label("members"),
            _count(and_(is_member_in(year), is_employer())).label("member_employers"),
            _jobs_sum().label("jobs")]


def _decimal(value) -> Decimal:
    """A jobs sum as SQLite (float) or PostgreSQL (Decimal) returns it, to one decimal."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


# Reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The headline figures of a year."""

    year: int
    establishments: int
    employers: int
    members: int
    member_employers: int
    jobs: Decimal  # exact + estimated, one decimal (band middles are halves)
    estimated: int  # establishments whose jobs are a band's middle
    estimated_jobs: Decimal
    unknown: int  # employers with neither headcount nor band

    @property
    def whole_jobs(self) -> int:
        """The jobs as the page writes them: rounded to a whole job."""
        return int(self.jobs.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def summary(year: int) -> Summary:
    """The year's headline figures, one statement."""
    row = db.session.execute(
        select(*_measures(year),
               _count(is_estimated()).label("estimated"),
               _jobs_sum(is_estimated()).label("estimated_jobs"),
               _count(is_unknown_employer()).label("unknown"))
        .where(in_directory(year), is_ess())
    ).one()
    return Summary(year=year, establishments=row.establishments, employers=int(row.employers),
                   members=int(row.members), member_employers=int(row.member_employers),
                   jobs=_decimal(row.jobs), estimated=int(row.estimated),
                   estimated_jobs=_decimal(row.estimated_jobs), unknown=int(row.unknown))


def family_counts(year: int) -> dict[str, tuple[int, int, int, Decimal]]:
    """{family: (establishments, employers, members, jobs)} of the year, one statement;
    "other" (no ESS family) included, for the page to say how many it leaves out."""
    rows = db.session.execute(
        select(Organisation.family, *_measures(year))
        .where(in_directory(year)).group_by(Organisation.family)
    ).all()
    return {row.family: (row.establishments, int(row.employers), int(row.members),
                         _decimal(row.jobs)) for row in rows}


def families_table(year: int, counts: dict[str, tuple[int, int, int, Decimal]]) -> Table:
    """By family (in the families' order): establishments, employers, their share of the
    territory's ESS employers, members of the pole, jobs; a totals row. ESS families only."""
    total_employers = sum(counts[family][1] for family in ESS_FAMILIES if family in counts)
    rows = []
    for family, label in FAMILY_LABELS.items():
        if family not in counts:
            continue
        establishments, employers, members, jobs = counts[family]
        rows.append((str(label), establishments, employers, ratio(employers, total_employers),
                     members, jobs))
    footer = (str(_("Total")), sum(r[1] for r in rows), total_employers,
              ratio(total_employers, total_employers), sum(r[4] for r in rows),
              sum((r[5] for r in rows), Decimal(0)))
    return Table(
        key="families", title=_("ESS establishments by family, %(year)s", year=year),
        columns=(Column("family", _("Family")),
                 Column("establishments", _("Establishments"), "count"),
                 Column("employers", _("Employer establishments"), "count"),
                 Column("employer_share", _("Share of employer establishments"), "percent"),
                 Column("members", _("Members of the pole"), "count"),
                 Column("jobs", _("Jobs"), "decimal")),
        rows=rows, footer=footer, definition=_definition(year),
        empty=_("No organisation in the directory at the end of that year."))



def _largest_first(row) -> tuple[bool, int]:
    """Most establishments first; the group without a name (no commune, no sector) last."""
    return (not row.name, -row.establishments)

def _grouped_table(year: int, key: str, key_column, text_column, title, label, unnamed,
                   filter_arg: str, reference=None) -> Table:
    """Establishments grouped by a free-text column's search key (one spelling a group),
    most establishments first, then in French order; each group links to the directory
    filtered on it."""
    # The group's spelling: the communes reference's when it knows the name, else the
    # greatest spelling in use (capitals sort first: "Redon" rather than "REDON").
    spelling = func.max(text_column)
    if reference is not None:
        spelling = func.coalesce(
            select(func.min(reference.name)).where(reference.name_key == key_column)
            .scalar_subquery(), spelling)
    rows = db.session.execute(
        select(spelling.label("name"), *_measures(year))
        .where(in_directory(year), is_ess()).group_by(key_column)
    ).all()
    total = sum(row.establishments for row in rows)
    body = []
    # Most establishments first, then in French order; the unnamed group last.
    in_french_order = sorted_french(rows, key=lambda r: r.name or "")
    for row in sorted(in_french_order, key=_largest_first):  # stable: ties stay in French order
        name = row.name or ""
        cell = (Link(name, url_for("members.index", **{filter_arg: name}, archived=1))
                if name else str(unnamed))
        body.append((cell, row.establishments, ratio(row.establishments, total),
                     int(row.employers), int(row.members), _decimal(row.jobs)))
    footer = (str(_("Total")), total, ratio(total, total), sum(r[3] for r in body),
              sum(r[4] for r in body), sum((r[5] for r in body), Decimal(0)))
    return Table(
        key=key, title=title,
        columns=(Column(key[:-1], label),
                 Column("establishments", _("Establishments"), "count"),
                 Column("share", _("Share of establishments"), "percent"),
                 Column("employers", _("Employer establishments"), "count"),
                 Column("members", _("Members of the pole"), "count"),
                 Column("jobs", _("Jobs"), "decimal")),
        rows=body, footer=footer, definition=_definition(year),
        empty=_("No organisation in the directory at the end of that year."))


def communes_table(year: int) -> Table:
    """By commune (spellings merged by search key), one statement."""
    return _grouped_table(year, "communes", Organisation.commune_key, Organisation.commune,
                          _("ESS establishments by commune, %(year)s", year=year),
                          _("Commune"), _("Commune not given"), "commune", Commune)


def sectors_table(year: int) -> Table:
    """By sector (spellings merged by search key), one statement."""
    return _grouped_table(year, "sectors", Organisation.sector_key, Organisation.sector,
                          _("ESS establishments by sector, %(year)s", year=year),
                          _("Sector"), _("Sector not given"), "sector")


def _definition(year: int):
    return _(
        "Establishments: the organisations of an ESS family (associations, cooperatives, "
        "mutuals, foundations, ESUS companies) in the directory at the end of %(year)s "
        "(entered by 31 December %(year)s and not archived before then). Employers: marked as "
        "employers, or with salaried staff by their headcount or INSEE size band (any band "
        "but NN). Jobs: the exact headcount when known, else the middle of the INSEE size "
        "band (10,000 for “10,000 and more”), today's figures for every year. Members: "
        "members of the pole now who joined in %(year)s or before.", year=year)


def employment_for(year: int) -> TerritoryEmployment | None:
    """The territory's salaried jobs entered for ``year``, else the latest year before it."""
    return db.session.scalars(
        select(TerritoryEmployment).where(TerritoryEmployment.year <= year)
        .order_by(TerritoryEmployment.year.desc()).limit(1)
    ).first()


def employment_entries() -> list[TerritoryEmployment]:
    """Every year entered, latest first (a few rows: one a year)."""
    return list(db.session.scalars(
        select(TerritoryEmployment).order_by(TerritoryEmployment.year.desc())))


def employment_entry(employment_id: int) -> TerritoryEmployment | None:
    return db.session.get(TerritoryEmployment, employment_id)


def employment_of_year(year: int, other_than: int | None = None) -> TerritoryEmployment | None:
    """The entry of exactly ``year`` (but ``other_than``), for the form's duplicate check."""
    statement = select(TerritoryEmployment).where(TerritoryEmployment.year == year)
    if other_than is not None:
        statement = statement.where(TerritoryEmployment.id != other_than)
    return db.session.scalars(statement).first()


def employment_table(entries: list[TerritoryEmployment], *, editable: bool = False) -> Table:
    """The years entered: salaried jobs and source (``editable``: each year links to its
    correction form)."""

    def year(entry: TerritoryEmployment):
        if not editable:
            return str(entry.year)
        return Link(str(entry.year), url_for("territory.edit_employment",
                                             employment_id=entry.id))

    return Table(
        key="employment", title=_("Salaried jobs of the territory (all employers)"),
        columns=(Column("year", _("Year")),
                 Column("salaried_jobs", _("Salaried jobs"), "count"),
                 Column("source", _("Source"))),
        rows=[(year(entry), entry.salaried_jobs, entry.source) for entry in entries],
        definition=_("Entered by the pole's managers from a public source (INSEE, Urssaf…): "
                      "every employer of the territory, ESS or not. The ESS share of a year "
                      "uses that year's figure, else the latest year before it."),
        empty=_("No year entered yet."))


def first_year(today_year: int) -> int:
    """The year the directory's first organisation was entered (``today_year`` when
    empty): the first year the selector offers."""
    first = db.session.scalar(select(func.min(Organisation.created_at)))
    if first is None:
        return today_year
    return min(today_year, first.astimezone(get_timezone()).year)
