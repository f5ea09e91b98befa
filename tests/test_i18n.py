"""French by default, English on request; French dates and numbers."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, refresh

from incubator.extensions import db
from incubator.i18n import _money, _number, date_short

from . import factories

ROOT = Path(__file__).resolve().parent.parent


def test_french_is_the_default(client):
    html = client.get("/auth/login", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Se connecter" in html


def test_english_follows_the_browser_preference(client):
    html = client.get("/auth/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True)
    assert '<html lang="en">' in html and "Log in" in html


def test_the_switch_in_the_page_wins_and_stays(client, login):
    user = login("holder")
    response = client.post("/language", data={"locale": "fr", "next": "/projects/mine"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.headers["Location"] == "/projects/mine"
    html = client.get("/projects/mine", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html and "Mes projets" in html
    assert db.session.get(type(user), user.id).locale == "fr"


def test_the_switch_ignores_unknown_languages_and_foreign_targets(client):
    response = client.post("/language", data={"locale": "de", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_french_pages_show_french_dates_and_amounts(client, login):
    holder = login("holder")
    project = factories.project(holders=[holder], funding_need_cents=2_500_050)
    project.submitted_at = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    db.session.commit()
    html = client.get(f"/projects/{project.id}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "14 mars 2026" in html
    assert "25\u202f000,50\u00a0€" in html


def test_formatting_helpers_in_both_languages(app):
    moment = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # already the 28th in Paris
    with app.test_request_context():
        with force_locale("fr"):
            assert date_short(moment) == "28 nov. 2026"
            assert _money(150_000) == "1\u202f500\u00a0€"
            assert _number(1.5) == "1,5"
        with force_locale("en"):
            assert date_short(moment) == "28 Nov 2026"
            assert _number(1.5) == "1.5"


def test_every_interface_string_has_a_french_translation():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "i18n.sh"), "check"],
        cwd=ROOT, capture_output=True, text=True,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
             "PYBABEL": str(Path(sys.executable).parent / "pybabel")},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _forms(string) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, (list, tuple)) else (string,)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_compiled_catalog_says_what_the_edited_one_says(locale):
    """The app reads messages.mo: it holds every translation of messages.po, word for word
    (file times prove nothing once git has checked the files out)."""
    po_path = ROOT / f"incubator/translations/{locale}/LC_MESSAGES/messages.po"
    with po_path.open("rb") as handle:
        edited = read_po(handle, locale=locale)
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    stale = []
    for message in edited:
        strings = _forms(message.string)
        if not message.id or message.fuzzy or not all(strings):
            continue  # left out of the compiled catalog: the English text shows
        key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        found = compiled.get(key, context=message.context)
        if found is None or _forms(found.string) != strings:
            stale.append(key)
    assert not stale, f"run scripts/i18n.sh to compile: {stale[:5]}"


def test_wtforms_messages_follow_the_language_and_their_catalogue_is_read_once(app,
                                                                              monkeypatch):
    """WTForms' own messages are translated (« Ce champ est requis. »), and its catalogue
    is read from disk once per process and language, not at every request with a form."""
    from babel import support
    from wtforms import IntegerField
    from wtforms.validators import InputRequired

    from incubator.forms import Form, wtforms_translations

    class Asked(Form):
        number = IntegerField(validators=[InputRequired()])

    wtforms_translations.cache_clear()
    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        lambda *a, **k: loads.append(a) or real_load(*a, **k))
    messages = {}
    for language in ("fr", "en", "fr", "en"):
        with app.test_request_context("/", method="POST", data={"number": ""},
                                      headers={"Accept-Language": language}):
            refresh()  # the fixture's app context would keep the first request's locale
            form = Asked(meta={"csrf": False})
            assert not form.validate()
            messages[language] = form.number.errors[0]
    assert messages == {"fr": "Ce champ est requis.", "en": "This field is required."}
    assert len(loads) == 2  # one per language, whatever the number of requests
    with app.test_request_context("/", method="POST", data={"number": ""},
                                  headers={"Accept-Language": "en"}), force_locale("fr"):
        form = Asked(meta={"csrf": False})
        form.validate()
        assert form.number.errors == ["Ce champ est requis."]
