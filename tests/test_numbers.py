"""Numbers are never silently changed (issue 9): what people type is stored as they meant it,
or refused with a message that shows how to write it; the same rules in French and English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Project
from incubator.numbers import NumberRefused, parse_decimal

from . import factories

NNBSP = "\u202f"

# typed → the value read, for a field of two decimals up to 100 million (an amount in euros)
AMOUNTS = [
    ("2500", Decimal("2500")), ("2 500", Decimal("2500")), ("2\u00a0500", Decimal("2500")),
    (f"2{NNBSP}500", Decimal("2500")), ("25 000 €", Decimal("25000")),
    ("2500,50", Decimal("2500.50")), ("2500.50", Decimal("2500.50")),
    ("2.500,50", Decimal("2500.50")), ("2,500.50", Decimal("2500.50")),
    ("1.250.000", Decimal("1250000")), ("1,250,000", Decimal("1250000")),
    ("2,5", Decimal("2.5")), ("2,50", Decimal("2.5")), ("0,500", Decimal("0.5")),
    (",5", Decimal("0.5")), ("", None), ("  ", None),
]
# typed → the start of the French message
AMOUNTS_REFUSED = [
    ("2,500", f"«{NNBSP}2,500{NNBSP}» peut se lire de deux façons"),
    ("2.500", f"«{NNBSP}2.500{NNBSP}» peut se lire de deux façons"),
    ("12,345", f"«{NNBSP}12,345{NNBSP}» a trop de décimales"),
    ("2500,505", "Écrivez au plus 2 décimales"),
    ("2.50,5", "Saisissez un nombre"), ("1,2,3", "Saisissez un nombre"),
    ("2,", "Saisissez un nombre"), ("deux", "Saisissez un nombre"), ("1e5", "Saisissez un nombre"),
]
# full-time equivalents: two decimals, at most 999 (so "1,500" cannot mean thousands)
JOBS = [("2,25", Decimal("2.25")), ("1,05", Decimal("1.05")), ("0,75", Decimal("0.75")),
        ("1,5", Decimal("1.5")), ("1,500", Decimal("1.5")), ("3", Decimal("3"))]
JOBS_REFUSED = [("2,255", "Écrivez au plus 2 décimales"), ("1,125", "Écrivez au plus 2 décimales")]


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize(("typed", "value"), AMOUNTS)
def test_amounts_are_read_as_typed_in_both_languages(app, locale, typed, value):
    with app.test_request_context(), force_locale(locale):
        assert parse_decimal(typed, places=2, maximum=100_000_000) == value


@pytest.mark.parametrize(("typed", "value"), JOBS)
def test_jobs_keep_their_two_decimals(app, typed, value):
    with app.test_request_context(), force_locale("fr"):
        assert parse_decimal(typed, places=2, maximum=999) == value


@pytest.mark.parametrize(("typed", "message"), AMOUNTS_REFUSED + JOBS_REFUSED)
def test_ambiguous_or_too_precise_numbers_are_refused_with_a_french_message(app, typed,
                                                                           message):
    maximum = 999 if (typed, message) in JOBS_REFUSED else 100_000_000
    with app.test_request_context(), force_locale("fr"), pytest.raises(NumberRefused) as error:
        parse_decimal(typed, places=2, maximum=maximum)
    assert str(error.value).startswith(message), str(error.value)


def test_the_ambiguous_amount_message_shows_both_ways_to_write_it(app):
    with app.test_request_context():
        with force_locale("fr"), pytest.raises(NumberRefused) as french:
            parse_decimal("2,500", places=2, maximum=100_000_000)
        with force_locale("en"), pytest.raises(NumberRefused) as english:
            parse_decimal("2,500", places=2, maximum=100_000_000)
    assert str(french.value) == (
        f"«{NNBSP}2,500{NNBSP}» peut se lire de deux façons{NNBSP}: écrivez 2500 ou "
        f"2{NNBSP}500 pour des milliers, ou 2,50 pour un nombre décimal.")
    assert str(english.value) == ("“2,500” can be read two ways: write 2500 or "
                                  f"2{NNBSP}500 for thousands, or 2.50 for a decimal number.")


@pytest.mark.parametrize(("typed", "stored"), [("2,25", Decimal("2.25")), ("1,05", Decimal("1.05"))])
def test_jobs_typed_with_two_decimals_are_saved_and_shown_unchanged(client, login, typed,
                                                                    stored):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        jobs_envisaged=typed, submit_idea="y"), headers={"Accept-Language": "fr"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    db.session.refresh(project)
    assert project.jobs_envisaged == stored
    page = client.get(f"/projects/{project.id}", headers={"Accept-Language": "fr"})
    page = page.get_data(as_text=True)
    assert f"<dd>{typed}</dd>" in page


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_an_ambiguous_amount_is_refused_next_to_its_field_not_stored(client, login, locale):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        funding_need="2,500", submit_idea="y"), headers={"Accept-Language": locale})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="funding_need-error"' in html
    assert ("peut se lire de deux façons" if locale == "fr" else "can be read two ways") in html
    assert 'value="2,500"' in html  # what was typed is kept
    assert db.session.scalar(select(Project)) is None


def test_a_too_precise_job_count_is_refused_with_an_example(client, login):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        jobs_envisaged="2,255", submit_idea="y"), headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert "Écrivez au plus 2 décimales, par exemple 0,75." in response.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_saved_amount_comes_back_in_the_form_as_a_value_that_reads_the_same(client, login,
                                                                            locale):
    """The edit form shows 25 000 € as "25 000" (narrow no-break space) in both languages:
    "25,000" in English would come back ambiguous."""
    holder = login("holder")
    draft = factories.project(holders=[holder], status="draft", title="Brouillon",
                              funding_need_cents=2_500_050, jobs_envisaged=Decimal("2.25"))
    db.session.commit()
    headers = {"Accept-Language": locale}
    html = client.get(f"/projects/{draft.id}/edit", headers=headers).get_data(as_text=True)
    mark = "," if locale == "fr" else "."
    assert f'value="25{NNBSP}000{mark}5"' in html
    assert f'value="2{mark}25"' in html
    assert ("25\u202f000" if locale == "fr" else f"25{NNBSP}000") in html  # help text example
    response = client.post(f"/projects/{draft.id}/edit", headers=headers,
                           data=factories.complete_idea(
                               funding_need=f"25{NNBSP}000{mark}5", jobs_envisaged=f"2{mark}25",
                               save_draft="y", version=draft.version))
    assert response.status_code == 303, response.get_data(as_text=True)
    project = db.session.get(Project, draft.id)
    db.session.refresh(project)
    assert project.funding_need_cents == 2_500_050
    assert project.jobs_envisaged == Decimal("2.25")


@pytest.mark.parametrize("typed", ["1e3", "2.5.1", "beaucoup"])
def test_a_number_that_cannot_be_read_gets_one_error_not_also_the_range(client, login, typed):
    """"Enter a number between 0 and 999" under "Enter a number" says nothing more, and the
    summary would count two problems for one field."""
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        jobs_envisaged=typed, submit_idea="y"), headers={"Accept-Language": "en"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html[html.index('id="jobs_envisaged-error"'):]
    error = error[:error.index("</small>")]
    assert "Enter a number, for example" in error
    assert "between 0 and 999" not in error
    assert "1 problem to fix" in html
