"""Territory key figures (/pipeline/territory): a directory built to give the pole's own
numbers (319 establishments, 3,042 jobs, 282 associations = 88 %, 32 cooperatives = 10 %,
12,7 % of 23,953 salaried jobs) checked exactly, in English and in the pole's French; the
INSEE bands' middles and the estimated count; the year selector with entry and archive
dates; the managers' form of the salaried jobs (refusals, 409, once, roles); exports parsed
back; htmx and plain answers; a constant number of statements."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import Organisation, TerritoryEmployment
from incubator.territory import queries, services

from .helpers import count_statements

HX = {"HX-Request": "true"}
NNBSP = "\u202f"
IN_2025 = datetime(2025, 3, 1, 9, tzinfo=UTC)
URL = "/pipeline/territory"


def _text(response) -> str:
    """The answer's text as a reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _org(name: str, family: str = "association", *, created_at: datetime = IN_2025,
         **fields) -> Organisation:
    fields.setdefault("employer", True)
    organisation = Organisation(name=name, family=family, created_at=created_at, **fields)
    db.session.add(organisation)
    return organisation


def seed_directory() -> None:
    """319 employer establishments: 282 associations, 32 cooperatives, 2 mutuals, 2
    foundations, 1 ESUS company; 3,042 jobs of which 115 estimated from bands (10 of band
    02: 4 each, 4 of band 01: 1.5 each, 2 of band 12: 34.5 each); 132 members; communes
    Redon (200), Allaire (100), none (19); the territory's 23,953 salaried jobs in 2024."""
    families = (["association"] * 282 + ["cooperative"] * 32 + ["mutual"] * 2
                + ["foundation"] * 2 + ["esus_company"])
    bands = ["02"] * 10 + ["01"] * 4 + ["12"] * 2
    exact = 0
    for index, family in enumerate(families):
        fields: dict = {}
        if index < len(bands):
            fields["headcount_band"] = bands[index]
        else:
            fields["headcount"] = 10 if exact < 200 else 9
            exact += 1
        commune = "Redon" if index < 200 else "Allaire" if index < 300 else ""
        if index % 2 and index < 264:
            fields.update(is_member=True, member_since=2010)
        _org(f"Structure {index}", family, commune=commune,
             sector="Culture" if index % 3 == 0 else "Solidarité", **fields)
    db.session.add(TerritoryEmployment(year=2024, salaried_jobs=23953, source="INSEE, Flores"))
    db.session.commit()


# The pole's numbers, exactly -----------------------------------------------------------


def test_the_seed_directory_gives_the_poles_key_figures(app):
    seed_directory()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        summary = queries.summary(2026)
        assert (summary.establishments, summary.employers, summary.members) == (319, 319, 132)
        assert summary.jobs == Decimal("3042.0") and summary.whole_jobs == 3042
        assert (summary.estimated, summary.estimated_jobs) == (16, Decimal("115.0"))
        counts = queries.family_counts(2026)
        table = queries.families_table(2026, counts)
        assert table.values("employers") == [282, 32, 2, 2, 1]
        shares = dict(zip(table.values("family"), table.values("employer_share"), strict=True))
        assert shares["Associations"] == Decimal(282) / Decimal(319)
        assert round(shares["Cooperatives"] * 100) == 10
        assert table.footer[1:3] == (319, 319)
        assert queries.employment_for(2026).salaried_jobs == 23953


def _others() -> None:
    """Three organisations of no ESS family (a town hall, a bank, a network entered for its
    contacts): employers with staff, members of the pole, in Redon, in the Culture sector."""
    for index, fields in enumerate(({"headcount": 250}, {"headcount_band": "12"},
                                    {"headcount": 3})):
        _org(f"Autre structure {index}", "other", commune="Redon", sector="Culture",
             is_member=True, member_since=2010, **fields)
    db.session.commit()


def test_organisations_of_no_ess_family_are_not_counted_among_ess_establishments(app):
    seed_directory()
    _others()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        summary = queries.summary(2026)
        assert (summary.establishments, summary.employers, summary.members,
                summary.member_employers) == (319, 319, 132, 132)
        assert summary.jobs == Decimal("3042.0")
        assert (summary.estimated, summary.estimated_jobs) == (16, Decimal("115.0"))
        table = queries.families_table(2026, queries.family_counts(2026))
        assert table.values("family") == ["Associations", "Cooperatives", "Mutuals",
                                          "Foundations", "ESUS companies"]
        assert table.footer[1:3] == (319, 319)
        assert dict(zip(table.values("family"), table.values("employer_share"),
                        strict=True))["Associations"] == Decimal(282) / Decimal(319)
        communes = queries.communes_table(2026)
        assert dict(zip(map(str, communes.values("commune")), communes.values("establishments"),
                        strict=True))["Redon"] == 200
        assert communes.footer[1] == 319
        assert queries.sectors_table(2026).footer[1] == 319


def test_the_page_says_how_many_organisations_of_no_ess_family_it_leaves_out(client, login):
    seed_directory()
    _others()
    login("advisor")
    page = _text(client.get(f"{URL}?year=2026", headers={"Accept-Language": "fr"}))
    assert (f"319 établissements – 3{NNBSP}042 emplois, soit 12,7{NNBSP}% des effectifs "
            "salariés du territoire." in page)
    assert f"282 associations, soit 88{NNBSP}% des établissements employeurs" in page
    assert "Parmi eux, 132 structures adhérentes du pôle." in page
    assert (f"3 structures de l’annuaire ne sont d’aucune famille de l’ESS ({chr(171)}{NNBSP}"
            f"Autre{NNBSP}{chr(187)}){NNBSP}: elles ne sont pas comptées." in page)
    assert "Autres structures" not in page
    # Without any, the page says nothing of them.
    db.session.execute(Organisation.__table__.delete().where(Organisation.family == "other"))
    db.session.commit()
    page = _text(client.get(f"{URL}?year=2026", headers={"Accept-Language": "fr"}))
    assert "d’aucune famille de l’ESS" not in page


def test_the_page_says_it_in_english(client, login):
    seed_directory()
    login("advisor")
    page = _text(client.get(f"{URL}?year=2026"))
    assert (f"319 establishments – 3{NNBSP}042 jobs, i.e. 12.7% of the territory's salaried "
            "jobs." in page)
    assert ("282 associations, i.e. 88% of the territory's ESS employer establishments."
            in page)
    assert "32 cooperatives, i.e. 10% of the territory's ESS employer establishments." in page
    assert "1 ESUS company, i.e. 0.3% of" in page  # below 1 %: one decimal
    assert "Among them, 132 members of the pole." in page
    assert ("The jobs of 16 establishments are estimated (115 in all): the middle of their "
            "INSEE size band" in page)
    assert ("No salaried jobs of the territory entered for 2026: the share uses the latest "
            "year before it, 2024: 23" in page)


def test_the_page_says_it_the_poles_way_in_french(client, login):
    seed_directory()
    login("advisor")
    page = client.get(f"{URL}?year=2026", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert (f"319 établissements – 3{NNBSP}042 emplois, soit 12,7{NNBSP}% des effectifs "
            "salariés du territoire." in page)
    assert (f"282 associations, soit 88{NNBSP}% des établissements employeurs de l’ESS du "
            "territoire." in page)
    assert (f"32 coopératives, soit 10{NNBSP}% des établissements employeurs de l’ESS du "
            "territoire." in page)
    assert "2 mutuelles, soit 1" in page and "2 fondations, soit 1" in page
    assert "Parmi eux, 132 structures adhérentes du pôle." in page
    assert "adhérents" not in page  # one term: « structure adhérente » (PRODUCT.md)
    assert f"23{NNBSP}953" in page and "INSEE, Flores" in page


def test_one_establishment_is_written_in_the_singular_in_french(client, login):
    _org("Seule", headcount_band="02")
    db.session.commit()
    login("manager")
    page = client.get(f"{URL}?year=2026", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "1 établissement – 4 emplois." in page
    assert f"1 association, soit 100{NNBSP}% des établissements employeurs" in page
    assert "Les emplois de 1 établissement sont estimés" in page


# Bands, estimates, employers -------------------------------------------------------------


@pytest.mark.parametrize("code, middle", [
    ("00", Decimal(0)), ("01", Decimal("1.5")), ("02", Decimal(4)), ("03", Decimal("7.5")),
    ("11", Decimal("14.5")), ("12", Decimal("34.5")), ("21", Decimal("74.5")),
    ("22", Decimal("149.5")), ("31", Decimal("224.5")), ("32", Decimal("374.5")),
    ("41", Decimal("749.5")), ("42", Decimal("1499.5")), ("51", Decimal("3499.5")),
    ("52", Decimal("7499.5")), ("53", Decimal(10000)), ("NN", None), ("", None),
])
def test_each_insee_band_counts_its_middle(code, middle):
    assert queries.band_midpoint(code) == middle


def test_jobs_are_exact_where_known_else_the_bands_middle_computed_in_sql(app):
    _org("Exact", headcount=12, headcount_band="11")  # the exact figure wins
    _org("Band 03", headcount_band="03")
    _org("Band 53", headcount_band="53")
    _org("Band 00", headcount_band="00")
    _org("Not an employer", employer=False, headcount_band="NN")
    _org("Employer, nothing known", employer=True)
    _org("Headcount says employer", employer=False, headcount=3)
    db.session.commit()
    with app.test_request_context():
        summary = queries.summary(2026)
    assert summary.establishments == 7
    assert summary.employers == 6  # all but the NN one
    assert summary.jobs == Decimal("10022.5")  # 12 + 7.5 + 10000 + 0 + 0 + 0 + 3
    assert (summary.estimated, summary.estimated_jobs) == (2, Decimal("10007.5"))
    assert summary.unknown == 1


def test_the_page_says_how_many_jobs_are_estimated_and_unknown(client, login):
    _org("A", headcount_band="01")
    _org("B", headcount=2)
    _org("C", employer=True)
    db.session.commit()
    login("advisor")
    page = _text(client.get(URL))
    assert "The jobs of 1 establishment are estimated (1.5 in all)" in page
    assert "1 employer establishment has neither a headcount nor a size band" in page
    assert "3 establishments – 4 jobs." in page  # 3.5 rounded half up


# The year selector ------------------------------------------------------------------------


def _years_world() -> None:
    """2024: A. 2025: A, B (archived just after the end of 2025 in Paris), C (member since
    2026). D archived just before the end of 2025 in Paris; E entered in 2026."""
    _org("A", created_at=datetime(2024, 6, 1, tzinfo=UTC), headcount=5, commune="Redon")
    _org("B", created_at=datetime(2025, 3, 1, tzinfo=UTC), headcount=7,
         archived_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC), commune="Allaire")
    _org("C", "cooperative", created_at=datetime(2025, 12, 31, 22, 30, tzinfo=UTC),
         headcount=11, is_member=True, member_since=2026, commune="Redon")
    _org("D", created_at=datetime(2025, 1, 1, tzinfo=UTC), headcount=100,
         archived_at=datetime(2025, 12, 31, 22, 30, tzinfo=UTC))
    _org("E", created_at=datetime(2026, 1, 2, tzinfo=UTC), headcount=1000)
    db.session.commit()


def test_a_year_counts_the_directory_as_it_was_at_its_end(app):
    _years_world()
    with app.test_request_context():
        figures = {year: queries.summary(year) for year in (2023, 2024, 2025, 2026)}
    assert [figures[y].establishments for y in (2023, 2024, 2025, 2026)] == [0, 1, 3, 3]
    assert figures[2025].jobs == Decimal("23.0")  # A, B (archived after the end), C
    assert figures[2026].jobs == Decimal("1016.0")  # A, C, E
    assert (figures[2025].members, figures[2026].members) == (0, 1)


def test_changing_the_year_changes_the_figures_plain_and_htmx(client, login):
    _years_world()
    login("advisor")
    page = _text(client.get(f"{URL}?year=2025"))
    assert "3 establishments – 23 jobs." in page
    assert '<option value="2025" selected>' in page and '<option value="2024" >' in page
    assert '<option value="2023"' not in page  # the directory starts in 2024
    fragment = client.get(f"{URL}?year=2024", htmx=True)
    text = _text(fragment)
    assert fragment.status_code == 200 and "HX-Request" in fragment.vary
    assert "<html" not in text and text.lstrip().startswith('<div id="territory-figures"')
    assert "1 establishment – 5 jobs." in text


@pytest.mark.parametrize("year", ["1899", "abc", "3000"])
def test_a_year_out_of_range_is_a_400(client, login, year):
    login("advisor")
    assert client.get(f"{URL}?year={year}").status_code == 400


def test_the_latest_employment_before_the_year_is_used_and_said(app, client, login):
    _org("A", headcount=50)
    db.session.add_all([TerritoryEmployment(year=2023, salaried_jobs=1000, source="Old"),
                        TerritoryEmployment(year=2025, salaried_jobs=500, source="Flores")])
    db.session.commit()
    login("advisor")
    page = _text(client.get(f"{URL}?year=2025"))
    assert "50 jobs, i.e. 10% of the territory's salaried jobs." in page
    assert "Salaried jobs of the territory in 2025: 500 (source: Flores)." in page
    page = _text(client.get(f"{URL}?year=2024"))
    assert "0 establishments – 0 jobs, i.e. 0% of the territory's salaried jobs." in page
    assert "the share uses the latest year before it, 2023: 1" in page
    page = _text(client.get(f"{URL}?year=2022"))
    assert "entered neither for 2022 nor for any year before" in page


# Tables by commune and sector -------------------------------------------------------------


def test_communes_merge_spellings_and_sort_by_size_then_french_order(app):
    _org("A", commune="Redon", headcount=1)
    _org("B", commune="REDON", headcount=2, is_member=True)
    _org("C", commune="Élven", headcount=3)
    _org("D", commune="Allaire", headcount_band="01")
    _org("E", commune="", employer=False)
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        table = queries.communes_table(2026)
    assert [str(c) for c in table.values("commune")] == ["Redon", "Allaire", "Élven",
                                                           "Commune not given"]
    assert table.values("establishments") == [2, 1, 1, 1]
    assert table.values("members") == [1, 0, 0, 0]
    assert table.values("jobs") == [Decimal(3), Decimal("1.5"), Decimal(3), Decimal(0)]
    assert table.footer[1] == 5 and table.footer[5] == Decimal("7.5")


# Exports ----------------------------------------------------------------------------------


def test_a_table_exports_to_csv_and_xlsx_and_parses_back(client, login, security_events):
    seed_directory()
    login("manager")
    response = client.get(f"{URL}?year=2026&table=families&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = _text(response)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Family", "Establishments", "Employer establishments",
                       "Share of employer establishments (%)", "Members of the pole", "Jobs"]
    assert rows[1][:4] == ["Associations", "282", "282", "88,4"]
    assert rows[-1][:3] == ["Total", "319", "319"] and rows[-1][5] == "3042"
    response = client.get(f"{URL}?year=2026&table=communes&format=xlsx", buffered=True)
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:2] == ("Redon", 200) and values[-1][:2] == ("Total", 319)
    assert [e["export"] for e in security_events.of("export.downloaded")] == [
        "territory.families", "territory.communes"]


@pytest.mark.parametrize("query", ["table=nope&format=csv", "table=families&format=pdf",
                                   "format=csv", "table=families"])
def test_an_unknown_export_is_a_400(client, login, query):
    login("advisor")
    assert client.get(f"{URL}?{query}").status_code == 400


def test_a_formula_in_a_commune_is_neutralised_in_the_export(client, login):
    _org("A", commune="=HYPERLINK(1)", headcount=1)
    db.session.commit()
    login("advisor")
    text = _text(client.get(f"{URL}?table=communes&format=csv"))
    assert "'=HYPERLINK(1)" in text


# Who may see and enter --------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, f"{URL}/employment/new", f"{URL}/employment/1/edit"])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_holders_and_mentors_are_refused(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/employment/new").status_code == 403


def test_advisors_read_but_do_not_enter_salaried_jobs(client, login):
    entry = TerritoryEmployment(year=2024, salaried_jobs=10, source="S")
    db.session.add(entry)
    db.session.commit()
    login("advisor")
    page = _text(client.get(URL))
    assert "Enter the salaried jobs" not in page and "/employment/" not in page
    assert client.get(f"{URL}/employment/new").status_code == 403
    assert client.get(f"{URL}/employment/{entry.id}/edit").status_code == 403
    assert client.post(f"{URL}/employment/new", data={"year": "2025", "salaried_jobs": "5",
                                                      "source": "x"}).status_code == 403


def test_managers_see_the_links_to_enter_and_correct(client, login):
    entry = TerritoryEmployment(year=2024, salaried_jobs=10, source="S")
    db.session.add(entry)
    db.session.commit()
    login("manager")
    page = _text(client.get(f"{URL}?year=2026"))
    assert "Enter the salaried jobs of 2026" in page
    assert f'href="{URL}/employment/{entry.id}/edit"' in page


# The salaried jobs form ------------------------------------------------------------------


def _form(client, url=f"{URL}/employment/new?year=2024") -> dict:
    page = _text(client.get(url))
    token = page.split('name="form_token" value="')[1].split('"')[0]
    return {"form_token": token}


def test_a_manager_enters_jobs_typed_the_french_way(client, login):
    manager = login("manager")
    data = {**_form(client), "year": "2024", "salaried_jobs": f"23{NNBSP}953",
            "source": "  INSEE, Flores  "}
    response = client.post(f"{URL}/employment/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{URL}?year=2024#territory-employment"
    entry = db.session.scalars(select(TerritoryEmployment)).one()
    assert (entry.year, entry.salaried_jobs, entry.source, entry.entered_by_id) == (
        2024, 23953, "INSEE, Flores", manager.id)
    # The same rendered form sent again creates nothing.
    again = client.post(f"{URL}/employment/new", data=data)
    assert again.status_code == 303
    assert db.session.scalar(select(db.func.count(TerritoryEmployment.id))) == 1


def test_the_form_answers_htmx_with_hx_redirect(client, login):
    login("manager")
    data = {**_form(client), "year": "2024", "salaried_jobs": "23953", "source": "INSEE"}
    response = client.post(f"{URL}/employment/new", data=data, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"{URL}?year=2024#territory-employment"


@pytest.mark.parametrize("jobs, message", [
    ("", "Give the number of salaried jobs."),
    ("abc", "Enter a number"),
    ("0", "Enter a whole number of jobs from 1."),
    ("-5", "Enter a whole number of jobs from 1."),
    ("23,953", "has too many decimals: write 23953"),
    ("2395,5", "Enter a whole number."),
])
def test_the_form_refuses_what_is_not_a_number_of_jobs(client, login, jobs, message):
    login("manager")
    data = {**_form(client), "year": "2024", "salaried_jobs": jobs, "source": "INSEE"}
    response = client.post(f"{URL}/employment/new", data=data)
    page = _text(response)
    assert response.status_code == 422 and message in page
    assert f'value="{jobs}"' in page or jobs == ""
    assert db.session.scalar(select(db.func.count(TerritoryEmployment.id))) == 0


def test_the_form_refuses_a_missing_source_a_bad_year_and_a_year_entered(client, login):
    login("manager")
    response = client.post(f"{URL}/employment/new", data={
        **_form(client), "year": "1800", "salaried_jobs": "5", "source": "   "})
    page = _text(response)
    assert response.status_code == 422
    assert "Enter a year, e.g. 2024." in page and "Say where the figure comes from" in page
    db.session.add(TerritoryEmployment(year=2024, salaried_jobs=10, source="S"))
    db.session.commit()
    response = client.post(f"{URL}/employment/new", data={
        **_form(client), "year": "2024", "salaried_jobs": "5", "source": "Other"})
    assert response.status_code == 422
    assert "The salaried jobs of 2024 are already entered" in _text(response)


# A year to come was saved (2100, or 2062 typed for 2026) though the page refuses to show it.
@pytest.mark.parametrize("htmx", [False, True])
def test_a_year_to_come_is_refused_with_the_years_allowed(client, login, htmx):
    login("manager")
    next_year = pole_today().year + 1
    response = client.post(f"{URL}/employment/new", data={
        **_form(client), "year": str(next_year), "salaried_jobs": "5", "source": "INSEE"},
        htmx=htmx)
    assert response.status_code == 422
    assert f"Enter a year from 1900 to {next_year - 1}" in _text(response)
    assert db.session.scalar(select(db.func.count(TerritoryEmployment.id))) == 0


def test_a_correction_cannot_move_a_figure_to_a_year_to_come(client, login):
    login("manager")
    entry = services.create_employment(None, year=2024, salaried_jobs=100, source="A")
    db.session.commit()
    url = f"{URL}/employment/{entry.id}/edit"
    response = client.post(url, data={"year": "2100", "salaried_jobs": "100", "source": "A",
                                      "version": str(entry.version)})
    assert response.status_code == 422
    db.session.refresh(entry)
    assert entry.year == 2024


def test_a_correction_is_version_checked_and_a_conflict_keeps_the_input(client, login):
    login("manager")
    entry = services.create_employment(None, year=2024, salaried_jobs=100, source="A")
    db.session.commit()
    url = f"{URL}/employment/{entry.id}/edit"
    assert 'name="version" type="hidden" value="1"' in _text(client.get(url))
    response = client.post(url, data={"year": "2024", "salaried_jobs": "200", "source": "B",
                                      "version": "1"})
    assert response.status_code == 303
    db.session.refresh(entry)
    assert (entry.salaried_jobs, entry.source, entry.version) == (200, "B", 2)
    stale = client.post(url, data={"year": "2024", "salaried_jobs": "300", "source": "C",
                                   "version": "1"}, htmx=True)
    page = _text(stale)
    assert stale.status_code == 409 and "Someone changed this since you opened it." in page
    assert 'value="300"' in page and 'value="C"' in page and 'value="2"' in page
    db.session.refresh(entry)
    assert entry.salaried_jobs == 200
    missing = client.post(url, data={"year": "2024", "salaried_jobs": "300", "source": "C"})
    assert missing.status_code == 409


def test_a_correction_onto_a_year_entered_is_refused(client, login):
    login("manager")
    services.create_employment(None, year=2023, salaried_jobs=1, source="A")
    entry = services.create_employment(None, year=2024, salaried_jobs=2, source="B")
    db.session.commit()
    response = client.post(f"{URL}/employment/{entry.id}/edit", data={
        "year": "2023", "salaried_jobs": "2", "source": "B", "version": "1"})
    assert response.status_code == 422
    assert "The salaried jobs of 2023 are already entered" in _text(response)
    assert client.get(f"{URL}/employment/999/edit").status_code == 404


# Cost ------------------------------------------------------------------------------------


def test_the_page_costs_the_same_statements_whatever_the_directory(client, login):
    login("manager")
    _org("A", commune="Redon", headcount=1)
    db.session.add(TerritoryEmployment(year=2024, salaried_jobs=10, source="S"))
    db.session.commit()
    with count_statements() as small:
        assert client.get(f"{URL}?year=2026").status_code == 200
    for index in range(60):
        _org(f"O{index}", ["association", "cooperative", "mutual"][index % 3],
             commune=f"Commune {index % 7}", sector=f"Secteur {index % 5}",
             headcount_band="02" if index % 2 else "", headcount=None if index % 2 else 3)
    db.session.add(TerritoryEmployment(year=2025, salaried_jobs=20, source="T"))
    db.session.commit()
    with count_statements() as large:
        assert client.get(f"{URL}?year=2026").status_code == 200
    assert len(large) == len(small)
