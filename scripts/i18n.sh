#!/usr/bin/env bash
# Keep the translation catalogs up to date. Run from the repository root.
#
#   scripts/i18n.sh          extract the messages, update the fr/en catalogs, compile them
#   scripts/i18n.sh check    exit 1 if a message of the code is missing, untranslated or
#                            fuzzy in the French catalog (the catalogs are not touched)
#
# PYBABEL overrides the pybabel command (default: .venv/bin/pybabel).
set -euo pipefail

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
# The Python that has Babel: the one next to pybabel, else python3 (PYTHON overrides it).
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON="$(dirname "$PYBABEL")/python"
    [[ -x "$PYTHON" ]] || PYTHON=python3
fi
DIR=incubator/translations
POT="$DIR/messages.pot"
LOCALES=(fr en)

extract() {
    "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
        --project Incubateur --copyright-holder "Incubateur contributors" \
        -o "$1" .
}

case "${1:-}" in
    "")
        mkdir -p "$DIR"
        extract "$POT"
        for locale in "${LOCALES[@]}"; do
            if [[ ! -f "$DIR/$locale/LC_MESSAGES/messages.po" ]]; then
                "$PYBABEL" init -i "$POT" -d "$DIR" -l "$locale"
            fi
        done
        "$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
        "$PYBABEL" compile -d "$DIR" --statistics
        ;;
    check)
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        extract "$tmp/messages.pot" >"$tmp/extract.log" 2>&1 || { cat "$tmp/extract.log" >&2; exit 1; }
        "$PYTHON" - "$tmp/messages.pot" "$DIR/fr/LC_MESSAGES/messages.po" <<'PY'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as f:
    template = read_po(f)
with open(sys.argv[2], "rb") as f:
    catalog = read_po(f, locale="fr")

missing = []
for message in template:
    if not message.id:
        continue
    key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    found = catalog.get(key, context=message.context)
    if found is None or found.fuzzy:
        missing.append(key)
        continue
    strings = found.string if isinstance(found.string, (list, tuple)) else (found.string,)
    if not all(strings):
        missing.append(key)

for key in missing:
    print(f"missing or untranslated in fr: {key!r}")
if missing:
    print(f"{len(missing)} message(s) to translate: run scripts/i18n.sh, then edit "
          f"{sys.argv[2]}", file=sys.stderr)
    sys.exit(1)
print(f"fr catalog complete ({len(template)} messages)")
PY
        ;;
    *)
        echo "usage: $0 [check]" >&2
        exit 2
        ;;
esac
