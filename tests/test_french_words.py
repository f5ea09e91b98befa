"""Words read as French (issue 9): counts agree with their number through ngettext, in the
catalogue and in the templates; "de" before a name is elided ("le compte d’Aurélie")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from flask_babel import gettext as _

from incubator import config as settings
from incubator.extensions import db
from incubator.i18n import de

from . import factories

ROOT = Path(settings.ROOT)
PO = ROOT / "incubator/translations/fr/LC_MESSAGES/messages.po"
# A number placeholder, then up to two words, then a word in the plural ("%(num)d days",
# "%(total)d active projects", "%(n)d projets en cours").
COUNT_THEN_PLURAL = re.compile(r"%\((\w+)\)d\s+(?:[^\W\d]+\s+){0,2}?([^\W\d]{3,}s)\b")
# Words ending in "s" that are no plurals.
NOT_PLURAL = {"was", "has", "is", "sous", "sur", "dans", "depuis", "apres", "après", "plus",
              "moins"}
# In a template: a count shown, then a plural word ("{{ stats.total }} projets").
TEMPLATE_COUNT = re.compile(r"\{\{[^}]*\b(count|total|length|num|shown|days)\b[^}]*\}\}"
                            r"\s+([^\W\d]{3,}s)\b")
# "de"/"le"/"que" before a placeholder that may be a name (dates and numbers never elide).
UNELIDED = re.compile(r"\b(de|le|que|De|Le)\s+%\((?!date|when|first|last|until|time|limit|"
                      r"num|size|total|max|page)\w+\)s")


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="fr")


def _plural_words(text: str) -> list[str]:
    return [word for _name, word in COUNT_THEN_PLURAL.findall(text)
            if word.lower() not in NOT_PLURAL]


def test_no_message_shows_a_count_with_a_fixed_plural():
    fixed = []
    for message in _catalogue():
        if not message.id or isinstance(message.id, (list, tuple)):
            continue  # plural messages (ngettext) agree with their number
        for text in (message.id, message.string or ""):
            if _plural_words(text):
                fixed.append(message.id)
    assert fixed == [], "use ngettext for: " + "; ".join(fixed)


def test_no_template_shows_a_count_before_a_plural_word():
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        found += [f"{path.name}: {m.group(0)}" for m in TEMPLATE_COUNT.finditer(path.read_text())]
    assert found == []


@pytest.mark.parametrize(("text", "plural"), [
    ("%(shown)d of %(total)d active projects match the filters", True),
    ("%(shown)d projets en cours sur %(total)d", True),
    ("At most %(max)d characters.", True),
    ("%(shown)d of %(total)d", False), ("Page %(page)d of %(pages)d", False),
    ("limit %(limit)d", False),
])
def test_the_plural_check_catches_what_it_should(text, plural):
    assert bool(_plural_words(text)) is plural


def test_no_french_sentence_puts_de_before_a_name_it_cannot_elide():
    found = [message.string for message in _catalogue()
             if isinstance(message.string, str) and UNELIDED.search(message.string)]
    assert found == [], "pass the name through i18n.de(): " + "; ".join(found)


@pytest.mark.parametrize(("name", "french"), [
    ("Aurélie Guérin", "d’Aurélie Guérin"), ("Émilie Aubry", "d’Émilie Aubry"),
    ("Hélène Roux", "d’Hélène Roux"), ("Yves Morin", "d’Yves Morin"),
    ("Océane", "d’Océane"), ("Yann Le Goff", "de Yann Le Goff"),
    ("Claire Rouxel", "de Claire Rouxel"), ("Œuvre commune", "d’Œuvre commune"),
    ("3 Rivières", "de 3 Rivières"), ("", "de "),
])
def test_de_elides_before_a_vowel_in_french_only(app, name, french):
    with app.test_request_context():
        with force_locale("fr"):
            assert de(name) == french
        with force_locale("en"):
            assert de(name) == f"of {name}"


def test_the_users_page_and_its_messages_elide_de_before_a_vowel(client, login):
    login("manager")
    person = factories.user(role="advisor", name="Aurélie Guérin")
    db.session.commit()
    french = {"Accept-Language": "fr"}
    html = client.get("/admin/users", headers=french).get_data(as_text=True)
    assert "Désactiver le compte d’Aurélie Guérin" in html
    assert "Rôle d’Aurélie Guérin" in html and "de Aurélie" not in html
    response = client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "0"},
                           headers=french, follow_redirects=True)
    assert "Le compte d’Aurélie Guérin est désactivé" in response.get_data(as_text=True)
    english = client.get("/admin/users", headers={"Accept-Language": "en"})
    assert "Reactivate the account of Aurélie Guérin" in english.get_data(as_text=True)


def test_the_board_summary_agrees_with_one_match_in_french(client, login):
    login("manager")
    factories.project(title="Épicerie vrac")
    factories.project(title="Garage")
    db.session.commit()
    html = client.get("/board?q=Garage", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "1 projet en cours sur 2 correspond aux filtres" in html


def test_the_e_mail_kind_of_note_is_not_the_address_field(app):
    """One English word, two French ones: the kind of a note has its own context, so it does
    not take the address field's "Adresse e-mail"."""
    from incubator.notes.forms import NOTE_KIND_LABELS

    with app.test_request_context():
        with force_locale("fr"):
            assert str(NOTE_KIND_LABELS["email"]) == "E-mail"
            assert str(_("E-mail")) == "Adresse e-mail"
