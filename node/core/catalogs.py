"""Translation catalogs: the `.po` files in `locales/<lang>/LC_MESSAGES/messages.po`, read at run time
(no compiled `.mo` files, no build step): each is parsed with babel, compiled in memory and cached per
language (reloaded when the file changes)."""

from __future__ import annotations

import gettext as gettext_module
import io
import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

log = logging.getLogger("agora.i18n")
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"


def catalog_path(tag: str) -> Path:
    return LOCALES_DIR / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"


_cache: dict[str, tuple[float, gettext_module.NullTranslations]] = {}


def _compile(path: Path, tag: str) -> gettext_module.NullTranslations:
    with path.open("rb") as po:
        catalog = read_po(po, locale=tag.replace("-", "_"), domain="messages")
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def translations_for(tag: str) -> gettext_module.NullTranslations:
    """The compiled catalog of a language (the language, else its base language, else none), cached
    until the .po file changes."""
    for candidate in dict.fromkeys((tag, tag.split("-")[0])):
        path = catalog_path(candidate)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        cached = _cache.get(candidate)
        if cached is None or cached[0] != mtime:
            try:
                cached = (mtime, _compile(path, candidate))
            except (OSError, ValueError, PoFileError) as exc:  # a broken catalog: English, not a 500
                log.error("cannot read %s: %s", path, exc)
                cached = (mtime, gettext_module.NullTranslations())
            _cache[candidate] = cached
        return cached[1]
    return gettext_module.NullTranslations()
