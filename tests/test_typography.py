"""French typography in the French catalogue: narrow no-break spaces before ; : ! ? % and
inside « », no-break spaces between a number and its unit, typographic apostrophes.
``scripts/typography.py`` fixes the catalogue; these tests keep it fixed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
FRENCH = ROOT / "incubator/translations/fr/LC_MESSAGES/messages.po"
ENGLISH = ROOT / "incubator/translations/en/LC_MESSAGES/messages.po"
NNBSP = "\u202f"
UNIT = re.compile(
    r"(?:\d|%\(\w+\)[sd]|%[sd])[ \t\u2009\u200a\u2002-\u2008]"
    r"(?:Mo|Ko|Go|€|km|jours?|semaines?|mois|ans?|h|min)(?!\w)"
)


def _translations(path: Path) -> list[tuple[str, str]]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs.extend((ids[0], string) for string in strings if string)
    return pairs


FRENCH_TEXTS = _translations(FRENCH)


def _offenders(check) -> list[str]:
    return [text for _, text in FRENCH_TEXTS if check(text)]


def test_no_plain_or_breaking_space_before_high_punctuation():
    assert _offenders(lambda text: re.search(r"[ \u00a0\t][;:!?]", text)) == []


def test_no_percent_sign_after_a_plain_space():
    assert _offenders(lambda text: re.search(r"[ \u00a0]%(?![(sd%])", text)) == []


def test_guillemets_are_balanced_and_hold_narrow_no_break_spaces():
    assert _offenders(lambda text: text.count("«") != text.count("»")) == []
    assert _offenders(lambda text: re.search("«(?!\u202f)|(?<!\u202f)»", text)) == []


def test_apostrophes_are_typographic():
    assert _offenders(lambda text: "'" in text) == []


def test_a_number_and_its_unit_never_break_apart():
    assert _offenders(UNIT.search) == []
    assert _offenders(lambda text: re.search(r"\d \d{3}\b", text)) == []


def test_the_rules_catch_the_faults_they_name():
    faults = ["Nom :", "Sûr ?", "« titre »", "l'étape", "%(num)d jours", "10 Mo", "25 %"]
    checks = [
        lambda text: re.search(r"[ \u00a0\t][;:!?]", text),
        lambda text: re.search("«(?!\u202f)|(?<!\u202f)»", text),
        lambda text: "'" in text,
        UNIT.search,
        lambda text: re.search(r"[ \u00a0]%(?![(sd%])", text),
    ]
    for fault in faults:
        assert any(check(fault) for check in checks), fault


def test_the_typography_script_leaves_a_fixed_catalogue_as_it_is():
    from scripts.typography import french  # noqa: PLC0415

    for _, text in FRENCH_TEXTS:
        assert french(text) == text
    assert french("Sûr ? « x » l'étape 3 jours 25 000 €") == (
        f"Sûr{NNBSP}? «{NNBSP}x{NNBSP}» l’étape 3\u00a0jours 25\u00a0000\u00a0€"
    )


@pytest.mark.parametrize("mark", [NNBSP, "’", "«", "»"])
def test_the_english_catalogue_keeps_english_typography(mark):
    assert [text for _, text in _translations(ENGLISH) if mark in text] == []
