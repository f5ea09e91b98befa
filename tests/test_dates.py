"""Dates read as French, and never as US dates in English: the long form in sentences
("30 novembre 2026"), one short form in tables, lists and cards ("30 nov. 2026"), British
forms in English ("30 Nov 2026"), times in the pole's time zone (INCUBATOR_TIMEZONE)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from incubator.extensions import db
from incubator.i18n import date_long, date_short, datetime_long, datetime_short

from . import factories

US_DATES = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}"
    r"|\b\d{1,2}/\d{1,2}/\d{2}\b|\d{1,2}:\d{2}\s?[AP]M"
)
# 23:30 UTC on 30 November is already 1 December in Paris (UTC+1 in winter).
LATE = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", ("30 novembre 2026", "30 nov. 2026")),
    ("en", ("30 November 2026", "30 Nov 2026")),
])
def test_a_date_has_a_long_form_for_sentences_and_a_short_one_for_tables(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert (date_long(date(2026, 11, 30)), date_short(date(2026, 11, 30))) == expected
        assert date_long(None) == date_short(None) == datetime_short(None) == ""


def test_french_writes_the_first_of_a_month_as_an_ordinal(app):
    with app.test_request_context():
        with force_locale("fr"):
            assert date_long(date(2027, 1, 1)) == "1er janvier 2027"
            assert date_short(date(2027, 1, 1)) == "1 janv. 2027"
        with force_locale("en"):
            assert date_long(date(2027, 1, 1)) == "1 January 2027"


@pytest.mark.parametrize(("language", "short", "long"), [
    ("fr", "1 déc. 2026, 00:30", "1er décembre 2026, 00:30"),
    ("en", "1 Dec 2026, 00:30", "1 December 2026, 00:30"),
])
def test_a_moment_near_midnight_utc_shows_in_the_poles_time_zone(app, language, short, long):
    with app.test_request_context(), force_locale(language):
        assert datetime_short(LATE) == short
        assert datetime_long(LATE) == long
        assert date_short(LATE) == short.split(",")[0]
        # a naive datetime (SQLite gives them back so) is a UTC one
        assert datetime_short(LATE.replace(tzinfo=None)) == short
        # summer time: UTC+2
        assert datetime_short(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)).endswith("00:30")


def test_english_pages_show_no_us_date_and_french_sentences_the_long_form(client, login):
    advisor = login("advisor")
    project = factories.project(title="Ferme des Landes", advisor=advisor)
    project.submitted_at = LATE
    project.stage_entered_at = LATE
    db.session.commit()
    pages = {}
    for language in ("fr", "en"):
        for url in (f"/projects/{project.id}", "/board", "/account/sessions"):
            response = client.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, url
            pages[language, url] = response.get_data(as_text=True)
    for (language, url), page in pages.items():
        assert US_DATES.search(page) is None, (language, url, US_DATES.search(page))
    french = pages["fr", f"/projects/{project.id}"]
    english = pages["en", f"/projects/{project.id}"]
    assert "Soumis le 1er décembre 2026" in french
    assert "depuis le 1er décembre 2026" in french
    assert "Submitted on 1 December 2026" in english
