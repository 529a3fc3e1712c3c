#!/bin/sh
# Interface translations: extracts every message of node/, federation/ and templates/ into
# locales/messages.pot, then brings each catalog locales/<lang>/LC_MESSAGES/messages.po up to date
# (creating the missing ones). Changed messages come back fuzzy and new ones empty: translate them
# (tests/core/test_i18n.py fails while any is left). The .po files are read at run time; nothing to compile.
#   sh scripts/messages.sh            # fr ar es
#   LANGS="fr ar es pt" sh scripts/messages.sh
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
LANGS="${LANGS:-fr ar es}"
mkdir -p locales
"$PYBABEL" -q extract -F babel.cfg -o locales/messages.pot --project=Agora --version=0.1 \
  --msgid-bugs-address="" --copyright-holder="Agora contributors" --add-comments=TRANSLATORS: \
  --add-location=file --sort-by-file --width=100 \
  --ignore-dirs=".* ._ __pycache__ tests locales config data node_modules interop-work test-artifacts" .
for lang in $LANGS; do
  if [ -f "locales/$lang/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" -q update -i locales/messages.pot -d locales -l "$lang" --ignore-obsolete --width=100
  else
    "$PYBABEL" -q init -i locales/messages.pot -d locales -l "$lang" --width=100
  fi
done
# Summarise what is left to translate.
.venv/bin/python - "$LANGS" <<'PY'
import sys
from babel.messages.pofile import read_po
for lang in sys.argv[1].split():
    with open(f"locales/{lang}/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    todo = [m for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))]
    print(f"{lang}: {len(catalog)} messages, {len(todo)} to translate")
PY
