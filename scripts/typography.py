"""Apply French typography to the French catalogue, idempotently.

    .venv/bin/python scripts/typography.py && scripts/i18n.sh

- a narrow no-break space (U+202F) before ``; : ! ? %`` and inside « » (replacing a plain or
  no-break space, or adding one where there was none before ``; ! ? »`` and after «);
- a no-break space (U+00A0) between a number (or a count placeholder such as ``%(num)d``)
  and its unit (10 Mo, 25 000 €, 3 jours) and between the groups of a number;
- typographic apostrophes (’) between letters (l’étape, aujourd’hui).

Only the translations (``msgstr``) change; ``tests/test_typography.py`` checks the result.
"""

from __future__ import annotations

import re
import sys

from babel.messages.pofile import read_po, write_po

PO = "incubator/translations/fr/LC_MESSAGES/messages.po"

NNBSP = "\u202f"
NBSP = "\u00a0"
NUMBER = r"(?:\d|%\(\w+\)[sd]|%[sd])"
UNITS = r"(?:Mo|Ko|Go|€|km|jours?|semaines?|mois|ans?|h|min)"


def french(text: str) -> str:
    """``text`` with French typography; applying it twice changes nothing."""
    text = re.sub(r"(?<=\w)'(?=\w)", "’", text)
    text = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, text)
    text = re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", text)
    # a percent sign, not a placeholder such as %(name)s
    text = re.sub(r"[ \u00a0]%(?![(sd%])", NNBSP + "%", text)
    text = re.sub(r"[ \u00a0](?=[;:!?])", NNBSP, text)
    # no space at all before ; ! ? after a word (a colon is left alone: times, URLs)
    text = re.sub(r"(?<=[\w»)])(?=[;!?](?:\s|$))", NNBSP, text)
    text = re.sub(rf"({NUMBER}) (?={UNITS}(?!\w))", r"\1" + NBSP, text)
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", NBSP, text)
    return text


def main() -> int:
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="fr")
    changed = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, tuple):
            fixed = tuple(french(form) for form in message.string)
        else:
            fixed = french(message.string)
        if fixed != message.string:
            message.string = fixed
            changed += 1
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, no_location=True)
    print(f"{changed} translations changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
