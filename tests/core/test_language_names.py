"""Language names in the language fields come from a table (node/core/multilingual.ENDONYMS) so that a
page with a comment box does not load the locale data of 21 languages: the table must say what babel
says, cover every offered choice, and be used without asking babel."""

from __future__ import annotations

import pytest
from babel import Locale

from node.core import multilingual
from node.web.pages import LANGUAGE_CHOICES


def test_table_agrees_with_babel_and_covers_the_choices() -> None:
    assert set(LANGUAGE_CHOICES) <= set(multilingual.ENDONYMS)
    for code, (name, rtl) in multilingual.ENDONYMS.items():
        locale = Locale.parse(code)
        assert name == locale.get_display_name(locale), code
        assert rtl == (locale.character_order == "right-to-left"), code


def test_table_languages_are_named_without_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_babel(tag: str) -> None:
        raise AssertionError(f"babel asked about {tag}")

    monkeypatch.setattr(multilingual, "_locale", no_babel)
    assert multilingual.language_name("fa") == "فارسی"
    assert multilingual.direction("ur") == "rtl"
    assert multilingual.direction("ti") == "ltr"


def test_other_tags_still_ask_babel() -> None:
    assert multilingual.language_name("nl") == "Nederlands"
    assert multilingual.direction("he") == "rtl"
    assert multilingual.language_name("qqq") == "qqq"
