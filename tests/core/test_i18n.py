"""Interface languages: negotiation (member preference, switcher cookie, Accept-Language, association
default), the switcher routes, right-to-left pages, translated pages and messages, the catalogs
themselves, and locale-aware formatting."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from babel import Locale
from babel.messages.pofile import read_po

from node.core import catalogs, formats, i18n, i18n_jinja
from node.core.models import User
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, logged_in

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fr", "ar", "es")
HTML_LANG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def html_lang(text: str) -> tuple[str, str]:
    found = HTML_LANG.search(text)
    assert found, text[:200]
    return found.group(1), found.group(2)


# ------------------------------------------------------------------ negotiation (pure functions)


def test_accept_language_is_ordered_by_q_values() -> None:
    assert i18n.parse_accept_language("fr;q=0.5, ar-EG, es;q=0.8, *;q=0.1") == ["ar-EG", "es", "fr"]
    assert i18n.parse_accept_language("de;q=0, fr") == ["fr"]  # q=0: not acceptable
    assert i18n.parse_accept_language("en;q=abc, fr;q=2, es") == ["es"]  # malformed weights are skipped
    assert i18n.parse_accept_language("en, fr") == ["en", "fr"]  # equal weights keep the header's order
    assert i18n.parse_accept_language("<script>, fr") == ["fr"]
    assert i18n.parse_accept_language("") == [] and i18n.parse_accept_language(None) == []
    assert len(i18n.parse_accept_language(",".join(["fr"] * 10_000))) <= 32


def test_regional_tags_fall_back_to_their_language() -> None:
    offered = ["en", "fr", "ar", "es"]
    assert i18n.match(["ar-EG"], offered) == "ar"
    assert i18n.match(["zh-Hant-TW", "es-419"], offered) == "es"
    assert i18n.match(["de", "fr-CA"], offered) == "fr"
    assert i18n.match(["pt"], ["en", "pt-BR"]) == "pt-BR"  # base language of an offered regional one
    assert i18n.match(["de", "it"], offered) is None


def test_direction_and_native_names() -> None:
    for tag in ("ar", "fa", "he", "ur", "ps", "ckb", "yi", "ar-EG"):
        assert i18n.direction(tag) == "rtl", tag
    for tag in ("en", "fr", "es", "ti", "am", "so", "uk", "xx"):
        assert i18n.direction(tag) == "ltr", tag
    assert i18n._languages(("en", "fr", "ar", "es")) == (
        i18n.Language("en", "English", "ltr"), i18n.Language("fr", "Français", "ltr"),
        i18n.Language("ar", "العربية", "rtl"), i18n.Language("es", "Español", "ltr"),
    )


def test_shipped_names_are_babels() -> None:
    """The switcher's table of shipped languages (kept so the menu loads no locale data) agrees with
    babel, and a tag outside it is still named by babel."""
    for code, (name, direction) in i18n.SHIPPED.items():
        locale = Locale.parse(code)
        babel_name = locale.get_display_name(locale) or ""
        assert name == babel_name[:1].upper() + babel_name[1:], code
        assert direction == ("rtl" if locale.character_order == "right-to-left" else "ltr"), code
    assert i18n._languages(("de",)) == (i18n.Language("de", "Deutsch", "ltr"),)


def test_only_local_paths_are_followed() -> None:
    assert i18n.local_path("/events?view=month") == "/events?view=month"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "", None, "/a\nb"):
        assert i18n.local_path(bad) == "/"


# ------------------------------------------------------------------ pages


async def test_accept_language_chooses_the_page_language(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node) as http:
        arabic = await http.get("/login", headers={"Accept-Language": "ar-EG,fr;q=0.5"})
        assert html_lang(arabic.text) == ("ar", "rtl")
        assert "دخول الأعضاء" in arabic.text
        french = await http.get("/login", headers={"Accept-Language": "de-DE, fr;q=0.9, en;q=0.8"})
        assert html_lang(french.text) == ("fr", "ltr")
        assert "Connexion des membres" in french.text and ">Événements</a>" in french.text
        assert "Mot de passe" in french.text and "Member login" not in french.text
        unsupported = await http.get("/login", headers={"Accept-Language": "de, it;q=0.5"})
        assert html_lang(unsupported.text) == ("en", "ltr") and "Member login" in unsupported.text
        assert html_lang((await http.get("/login")).text) == ("en", "ltr")


async def test_association_language_is_the_default(federation: Federation) -> None:
    node = await federation.add_node("a.test", language="es")
    async with client_for(node) as http:
        page = await http.get("/login", headers={"Accept-Language": "de"})
        assert html_lang(page.text) == ("es", "ltr") and "Acceso de miembros" in page.text
        assert html_lang((await http.get("/login", headers={"Accept-Language": "fr"})).text)[0] == "fr"


async def test_arabic_page_is_right_to_left_with_a_switcher(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node) as http:
        page = await http.get("/events?view=month&month=2026-11", headers={"Accept-Language": "ar"})
        assert page.status_code == 200
        text = page.text
        assert '<html lang="ar" dir="rtl">' in text
        assert "نوفمبر 2026" in text  # the month's name from babel, in Arabic
        assert '<nav class="languages" aria-label="اللغة">' in text
        for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
            assert f'hreflang="{code}" rel="nofollow" lang="{code}" dir="ltr">{name}</a>' in text
        assert 'lang="ar" dir="rtl" aria-current="true">العربية</a>' in text
        assert "next=/events%3Fview%3Dmonth%26month%3D2026-11" in text  # back to the same page


async def test_french_calendar_months_and_days(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node) as http:
        page = await http.get("/events?view=month&month=2026-11", headers={"Accept-Language": "fr"})
        assert "novembre 2026" in page.text and ">lun.</abbr>" in page.text and 'title="lundi"' in page.text
        assert "Mois suivant" in page.text


async def test_get_switcher_sets_the_cookie_and_goes_back(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node, follow_redirects=False) as http:
        response = await http.get("/language", params={"lang": "es", "next": "/events?view=month"})
        assert response.status_code == 303 and response.headers["location"] == "/events?view=month"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "Max-Age=31536000" in cookie
        assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # http:// base URL
        page = await http.get("/login", headers={"Accept-Language": "fr"})  # the cookie beats the header
        assert html_lang(page.text) == ("es", "ltr") and "Acceso de miembros" in page.text
        regional = await http.get("/language", params={"lang": "ar-MA", "next": "/login"})
        assert regional.status_code == 303 and regional.headers["set-cookie"].startswith("lang=ar;")


async def test_switcher_refuses_open_redirects_and_unknown_languages(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node, follow_redirects=False) as http:
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            response = await http.get("/language", params={"lang": "fr", "next": target})
            assert response.status_code == 303 and response.headers["location"] == "/", target
        for lang in ("de", "xx-YY", "", "<b>"):
            refused = await http.get("/language", params={"lang": lang, "next": "/"})
            assert refused.status_code == 400 and "lang=" not in refused.headers.get("set-cookie", "")
            assert "This site is not offered in that language" in refused.text
        missing = await http.get("/language")
        assert missing.status_code == 400
        french = await http.get("/language", params={"lang": "xx"}, headers={"Accept-Language": "fr"})
        assert "Langue inconnue" in french.text  # the message's title, translated


async def test_post_switcher_needs_the_csrf_token(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node, follow_redirects=False) as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        refused = await http.post("/language", data={"lang": "fr", "next": "/"})
        assert refused.status_code == 403 and "lang=" not in refused.headers.get("set-cookie", "")
        wrong = await http.post("/language", data={"lang": "fr", "next": "/", "csrf": "nope"})
        assert wrong.status_code == 403
        response = await http.post("/language", data={"lang": "fr", "next": "/events", "csrf": token})
        assert response.status_code == 303 and response.headers["location"] == "/events"
        assert response.headers["set-cookie"].startswith("lang=fr;")


async def test_members_preference_is_stored_and_wins(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with logged_in(node, "amal", "member") as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        response = await http.post("/language", data={"lang": "ar", "next": "/login", "csrf": token})
        assert response.status_code == 303
        with node.ctx:
            assert (await User.get(username="amal")).locale == "ar"
        http.cookies.set("lang", "es")  # the stored preference beats the cookie and the header
        page = await http.get("/login", headers={"Accept-Language": "fr"})
        assert html_lang(page.text) == ("ar", "rtl")
        assert "تسجيل الخروج (amal)" in page.text  # the logout button, with its placeholder filled
        asked = await http.get("/language", params={"lang": "fr", "next": "/"})  # a link only asks (CSRF)
        assert asked.status_code == 200 and 'action="/language"' in asked.text
        with node.ctx:
            assert (await User.get(username="amal")).locale == "ar"


async def test_preference_follows_the_member_to_another_browser(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    _, password = await member(node, "bilal")
    with node.ctx:
        user = await User.get(username="bilal")
        user.locale = "es"
        await user.save()
    async with client_for(node, follow_redirects=False) as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        assert (await http.post("/login", data={"csrf": token, "login": "bilal", "password": password})).status_code == 303
        page = await http.get("/login", headers={"Accept-Language": "ar"})
        assert html_lang(page.text) == ("es", "ltr")


async def test_message_titles_and_texts_are_translated(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node, follow_redirects=False) as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        expired = await http.post("/language", data={"lang": "fr", "csrf": token + "x"}, headers={"Accept-Language": "es"})
        assert expired.status_code == 403
        assert "Formulario caducado" in expired.text and "Vuelva a cargar la página" in expired.text
        arabic = await http.post("/language", data={"lang": "fr"}, headers={"Accept-Language": "ar"})
        assert "انتهت صلاحية النموذج" in arabic.text


async def test_untrusted_text_is_escaped_and_never_breaks_a_page() -> None:
    env = jinja2.Environment(autoescape=True)
    i18n_jinja.install(env)
    i18n.activate("fr")
    page = env.from_string("{{ _(title) }}|{{ _(text) }}|{{ _('Log out (%(name)s)', name=who) }}|{{ _(missing) }}")
    out = page.render(title="Not found", text="<script>x</script> 100%s %(x)s %40", who="<b>")
    assert out == "Introuvable|&lt;script&gt;x&lt;/script&gt; 100%s %(x)s %40|Se déconnecter (&lt;b&gt;)|"
    i18n.activate("en")


# ------------------------------------------------------------------ the catalogs


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
TAG = re.compile(r"</?([a-z]+)(?:\s[^>]*)?>")


def _forms(message) -> list[str]:  # type: ignore[no-untyped-def]
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    messages = [m for m in catalog(lang) if m.id]
    assert len(messages) > 200
    problems = []
    for m in messages:
        ids = list(m.id) if isinstance(m.id, (tuple, list)) else [m.id]
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        tags = sorted(TAG.findall(ids[0]))
        if m.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for index, text in enumerate(_forms(m)):
            if not text or not text.strip():
                problems.append(f"untranslated: {ids[0]!r}")
                continue
            found = set(PLACEHOLDER.findall(text))
            plural = len(ids) > 1
            # a plural form may leave the number out ("un seul", "واحد", "اثنان"), never anything else
            if found - wanted or (wanted - found - ({"num"} if plural else set())):
                problems.append(f"placeholders {sorted(found)} != {sorted(wanted)}: {ids[0]!r} -> {text!r}")
            if sorted(TAG.findall(text)) != tags:
                problems.append(f"HTML tags differ: {ids[0]!r} -> {text!r}")
            if "%" in text.replace("%%", "").replace("%(", "") and re.search(r"%[^(]", text.replace("%%", "")):
                problems.append(f"stray %: {text!r}")
    assert not problems, "\n".join(problems[:40])


def test_arabic_has_six_plural_forms() -> None:
    ar = catalog("ar")
    assert ar.num_plurals == 6
    plurals = [m for m in ar if m.id and isinstance(m.id, (tuple, list))]
    assert plurals and all(len(m.string) == 6 and all(m.string) for m in plurals)
    translations = catalogs.translations_for("ar")
    counts = {n: translations.ngettext("%(num)s supporter", "%(num)s supporters", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(counts.values())) == 6, counts


def test_arabic_counts_from_11_to_99_take_the_accusative_and_from_100_the_genitive() -> None:
    """Form 4 (11-99: "١١ صوتًا") has the noun in the accusative, with its tanwin; form 5 (100 and
    more: "١٠٠ صوت") in the genitive, without: the two were swapped in a few messages once."""
    tanwin = "\u064b"
    swapped = [m.id[0] for m in catalog("ar") if m.id and isinstance(m.id, (tuple, list))
               and tanwin in m.string[5] and tanwin not in m.string[4]]
    assert not swapped, swapped


def test_catalogs_hold_every_message_of_the_sources(tmp_path: Path) -> None:
    """The .pot and the .po files are up to date: extraction from today's code and templates finds no
    message the catalogs lack (run scripts/messages.sh, then translate)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-o", str(pot),
         "--ignore-dirs=.* ._ __pycache__ tests locales config data node_modules interop-work test-artifacts", "."],
        cwd=ROOT, check=True,
    )
    with pot.open("rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert len(extracted) > 200
    for lang in LANGUAGES:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
        missing = sorted(extracted - known)
        assert not missing, f"{lang}: {len(missing)} new messages, e.g. {missing[:5]}"


def test_extraction_finds_message_titles_and_texts() -> None:
    ids = {m.id for m in catalog("fr") if m.id}
    assert {"Form expired", "Please reload the page and try again.", "Unknown language"} <= ids


# ------------------------------------------------------------------ formatting


def test_formatting_follows_the_language() -> None:
    moment = datetime(2026, 11, 21, 18, 30, tzinfo=timezone.utc)
    i18n.activate("fr")
    assert formats.format_date(date(2026, 11, 21)) == "21 nov. 2026"
    assert formats.format_datetime(moment, "short", tz="Europe/Paris") == "21/11/2026 19:30"
    assert formats.format_time(moment, tz="Asia/Tokyo") == "03:30"
    assert formats.format_date(moment, "long", tz="Asia/Tokyo") == "22 novembre 2026"  # the date there
    assert formats.format_number(1234.5).replace("\u202f", " ") == "1 234,5"
    assert formats.format_currency(Decimal("1500.5"), "EUR").replace("\u202f", " ").replace("\xa0", " ") == "1 500,50 €"
    assert formats.format_money(150050, "EUR").replace("\u202f", " ").replace("\xa0", " ") == "1 500,50 €"
    i18n.activate("ar")
    assert "نوفمبر" in formats.format_date(date(2026, 11, 21), "long")
    assert "السبت" in formats.format_date(date(2026, 11, 21), "full")
    i18n.activate("es")
    assert formats.format_date(date(2026, 11, 21), "long") == "21 de noviembre de 2026"
    assert formats.format_decimal(Decimal("12345.5")) == "12.345,5" and formats.format_number(12345) == "12.345"
    i18n.activate("en")
    assert formats.format_date("2026-11-21T18:30:00Z") == "Nov 21, 2026"
    assert formats.format_currency(1500, "usd") == "$1,500.00"
    assert formats.format_percent(0.4) == "40%"


def test_formatting_never_fails_on_bad_values() -> None:
    i18n.activate("fr")
    assert formats.format_date(None) == "" and formats.format_date("not a date") == "not a date"
    assert formats.format_datetime(datetime(2026, 1, 1), tz="Not/AZone") == "1 janv. 2026, 00:00:00"  # naive: UTC
    assert formats.format_number("abc") == "abc" and formats.format_number(True) == "True"
    assert formats.format_currency("x", "EUR") == "x"
    assert formats.format_money(None, "EUR") == ""
    i18n.activate("en")


def test_python_gettext_and_lazy_strings() -> None:
    label = i18n.lazy_gettext("Not found")
    i18n.activate("fr")
    assert i18n.gettext("Not found") == "Introuvable" and str(label) == "Introuvable"
    assert i18n.gettext("Log out (%(name)s)", name="amal") == "Se déconnecter (amal)"
    i18n.activate("es")
    assert str(label) == "No encontrado"
    i18n.activate("en")
    assert str(label) == "Not found" and i18n.gettext("Nothing %(x)s here") == "Nothing %(x)s here"
