"""What the thread page's speed-ups (tests/bench/forum.py) must not change: a post's date reads as
babel formats it in every language, and templates are read once outside development."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import dates as babel_dates

from node.core import formats, i18n
from node.web import pages

MOMENTS = [datetime(2026, 12, 2, 21, 5, tzinfo=timezone.utc), datetime(1999, 7, 14, 0, 0),
           datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
           datetime(2026, 1, 1, 23, 59, tzinfo=timezone(timedelta(hours=5, minutes=30)))]


@pytest.mark.parametrize("tag", ["en", "fr", "ar", "es", "de", "ja", "fa", "tt_RU", "ku_TR"])
def test_a_date_reads_as_babel_formats_it(tag: str) -> None:
    i18n.activate(tag)
    try:
        locale = i18n.current_locale()
        for moment in MOMENTS:
            for name in formats.NAMED_FORMATS:
                expected = babel_dates.format_datetime(formats._aware(moment, None), name, locale=locale)
                assert formats.format_datetime(moment, name) == expected, (tag, name, moment)
    finally:
        i18n.activate("en")


def test_languages_whose_patterns_do_not_join_are_left_to_babel() -> None:
    tatar = Locale.parse("tt_RU")  # its date pattern ends in an open quote: joined, it would differ
    assert formats._datetime_pattern("medium", str(tatar), tatar) is None
    french = Locale.parse("fr")
    assert formats._datetime_pattern("short", str(french), french) is not None


def test_templates_are_not_checked_for_changes_on_every_page() -> None:
    assert pages.templates.env.auto_reload is False  # the tests run without AGORA_TEMPLATES_RELOAD
