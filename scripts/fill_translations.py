"""Fill French translations from a JSON file: ``{"English msgid": "French", …}``.

For a plural message, give a list of French forms (singular, plural). Then compile:

    .venv/bin/python scripts/fill_translations.py new.json && scripts/i18n.sh

Messages not in the catalog yet are reported (run ``scripts/i18n.sh`` first to extract them).
"""

from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po

PO = "incubator/translations/fr/LC_MESSAGES/messages.po"


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        wanted: dict = json.load(handle)
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="fr")
    unknown = []
    for msgid, french in wanted.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = tuple(french) if isinstance(french, list) else french
        message.flags.discard("fuzzy")
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, no_location=True)
    for msgid in unknown:
        print(f"not in the catalog (run scripts/i18n.sh first): {msgid!r}", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
