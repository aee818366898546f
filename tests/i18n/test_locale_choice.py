"""Which interface language a request gets (issue #19): Accept-Language on a first visit, the
switcher's choice after (cookie and profile), the API's errors in the language asked for, the
scripts' catalog under its hash; bad input answered in JSON."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest

from app.i18n import LOCALES, Text
from app.i18n.catalogs import loaded
from app.i18n.text import render
from tests.api.conftest import error_of, new_person


def html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_accept_language_sets_lang_and_direction(app, locale) -> None:
    page = app.test_client().get("/", headers={"Accept-Language": f"{locale.code}-IN,en;q=0.5"})
    assert page.status_code == 200
    assert html_tag(page.text) == (
        f'<html lang="{locale.code}" dir="{locale.direction}" data-numbering="latn">'
    )
    switcher = re.search(r'<select id="locale-select".*?</select>', page.text, re.S)
    assert switcher is not None
    assert re.findall(r'value="([a-z]+)"', switcher.group(0)) == [x.code for x in LOCALES]
    assert f'value="{locale.code}" lang="{locale.code}" dir="{locale.direction}" selected' in (
        switcher.group(0)
    )


def test_urdu_is_right_to_left_and_an_unknown_language_is_english(app) -> None:
    client = app.test_client()
    assert 'dir="rtl"' in html_tag(client.get("/", headers={"Accept-Language": "ur"}).text)
    english = client.get("/", headers={"Accept-Language": "fr-FR, de;q=0.8"})
    assert html_tag(english.text).startswith('<html lang="en" dir="ltr"')


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_the_switcher_choice_persists_in_the_cookie_and_is_saved_in_the_profile(
    app, db, locale
) -> None:
    person = new_person(app)
    assert person.get("/").status_code == 200
    other = "hi" if locale.code != "hi" else "ur"

    chosen = person.post("/language", data={"locale": locale.code, "next": "/dashboard"})

    assert chosen.status_code == 303 and chosen.headers["Location"] == "/dashboard"
    assert f"cs_locale={locale.code}" in chosen.headers["Set-Cookie"]
    page = person.get("/", headers={"Accept-Language": other})  # the choice beats the browser
    assert html_tag(page.text).startswith(f'<html lang="{locale.code}" dir="{locale.direction}"')
    row = db.execute(
        "SELECT interface_locale FROM contributors WHERE id = %s", (person.contributor_id(),)
    ).fetchone()
    assert row == {"interface_locale": locale.code}
    assert person.get("/api/v1/me").get_json()["interface_locale"] == locale.code


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_the_switcher_goes_back_only_to_this_site(app, target) -> None:
    answer = app.test_client().post("/language", data={"locale": "hi", "next": target})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("value", ["xx", "", "hi-IN", "<script>", "h" * 500])
def test_an_unknown_locale_is_a_json_400_and_sets_nothing(app, value) -> None:
    answer = app.test_client().post("/language", data={"locale": value})
    assert error_of(answer) == (400, "unknown_locale")
    assert "Set-Cookie" not in answer.headers or "cs_locale" not in answer.headers["Set-Cookie"]


def test_the_scripts_catalog_is_immutable_under_its_hash(app) -> None:
    client = app.test_client()
    current = loaded("hi").script_hash
    fresh = client.get(f"/i18n/hi.json?v={current}")
    assert fresh.status_code == 200 and fresh.get_json()["locale"] == "hi"
    assert fresh.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/i18n/hi.json?v=old")
    assert stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/i18n/hi.json", headers={"If-None-Match": f'"{current}"'}).status_code == 304
    assert error_of(client.get("/i18n/xx.json")) == (404, "not_found")
    page = client.get("/", headers={"Accept-Language": "hi"}).text
    assert f'content="/i18n/hi.json?v={current}"' in page


def test_api_errors_keep_their_code_in_every_language(app) -> None:
    for locale in LOCALES:
        answer = app.test_client().get(
            "/api/v1/languages/zz/sentences", headers={"Accept-Language": locale.code}
        )
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "unknown_language"
        assert answer.get_json()["error"]["message"]


def test_text_renders_through_a_catalog_and_falls_back_to_english() -> None:
    message = Text("There is no sentence with id {id}.", id=7)
    assert str(message) == "There is no sentence with id 7."
    catalog = {"There is no sentence with id {id}.": "आईडी {id} का कोई वाक्य नहीं है।"}
    assert render(message, lambda m: catalog.get(m, m)) == "आईडी 7 का कोई वाक्य नहीं है।"
    broken = {"There is no sentence with id {id}.": "आईडी {number} का कोई वाक्य नहीं है।"}
    assert render(message, lambda m: broken.get(m, m)) == "There is no sentence with id 7."
    nested = Text("Refused: {reason}", reason=Text("too quiet"))
    assert render(nested, {"Refused: {reason}": "Nein: {reason}", "too quiet": "leise"}.get) == (
        "Nein: leise"
    )


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_a_page_for_an_unknown_address_and_a_client_gets_json(app) -> None:
    client = app.test_client()
    page = client.get("/nowhere", headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "ur"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert html_tag(page.text).startswith('<html lang="ur" dir="rtl"')
    assert error_of(client.get("/nowhere")) == (404, "not_found")
    api = client.get("/api/v1/nowhere", headers={"Accept": BROWSER_ACCEPT})
    assert error_of(api) == (404, "not_found")


def test_an_unexpected_failure_is_a_page_for_a_browser_without_details(app) -> None:
    def broken() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/broken-for-test", view_func=broken)
    client = app.test_client()
    page = client.get("/broken-for-test", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "secret detail" not in page.text and "Something went wrong" in page.text
    assert error_of(client.get("/broken-for-test")) == (500, "internal_error")


UNICODE_SCRIPT = {
    "Deva": "DEVANAGARI", "Beng": "BENGALI", "Taml": "TAMIL", "Telu": "TELUGU",
    "Gujr": "GUJARATI", "Knda": "KANNADA", "Mlym": "MALAYALAM", "Guru": "GURMUKHI",
    "Orya": "ORIYA", "Arab": "ARABIC", "Latn": "LATIN",
}  # fmt: skip


def in_script(text: str, script: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    prefix = UNICODE_SCRIPT[script]
    return bool(letters) and all(unicodedata.name(c, "").startswith(prefix) for c in letters)


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_the_navigation_is_in_the_locales_own_script(app, locale) -> None:
    page = app.test_client().get("/", headers={"Accept-Language": locale.code}).text
    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S)
    assert nav is not None
    links = [html.unescape(t).strip() for t in re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0))]
    assert len(links) == 5
    for text in links:
        assert in_script(text, locale.script), (locale.code, text)


@pytest.mark.parametrize("locale", [x for x in LOCALES if x.code != "en"], ids=lambda x: x.code)
def test_api_errors_come_in_the_language_asked_for(app, locale) -> None:
    client = app.test_client()
    english = client.get("/api/v1/languages/zz/sentences").get_json()["error"]
    asked = client.get(
        "/api/v1/languages/zz/sentences", headers={"Accept-Language": f"{locale.code}-IN"}
    ).get_json()["error"]
    assert asked["code"] == english["code"] == "unknown_language"
    assert asked["message"] != english["message"]
    assert in_script(re.sub(r"'[^']*'|[A-Za-z/_{}?=.-]+", "", asked["message"]), locale.script)


def test_native_digits_are_a_setting_and_latin_the_default(settings, database_url) -> None:
    from dataclasses import replace

    from app import create_app

    latin = create_app(settings, database_url=database_url)
    with latin.test_request_context("/", headers={"Accept-Language": "hi"}):
        from app.i18n.runtime import format_number

        assert format_number(1234567) == "12,34,567"
    native = create_app(replace(settings, interface_digits="native"), database_url=database_url)
    with native.test_request_context("/", headers={"Accept-Language": "hi"}):
        assert format_number(1234567) == "१२,३४,५६७"
    with native.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_number(1234567) == "1,234,567"  # English has no digits of its own
    page = native.test_client().get("/", headers={"Accept-Language": "bn"}).text
    assert 'data-numbering="beng"' in html_tag(page)
    for app in (latin, native):
        app.extensions["crowdsource.db"].close()
