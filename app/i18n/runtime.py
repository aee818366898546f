"""The interface language of each request, and the translations it reads.

Which locale: a page follows the volunteer's choice (the `cs_locale` cookie the switcher sets),
then the browser's `Accept-Language`, then English. The choice is saved in the profile too
(`contributors.interface_locale`, shown by GET /api/v1/me) but never read on a page view: pages
cost the database nothing (tests/dashboard/test_publishing.py); a session restored on another
device brings it back with it. The
API follows `Accept-Language` first (the page scripts send the page's own language in it;
another client says what it wants), then the cookie. Error codes never change; messages do.

Templates use `_()` / `ngettext()` (jinja2's i18n extension, new style: `%(name)s`
placeholders, escaped); Python code `gettext()`, or `Text` for messages made before the reader
is known (app/i18n/text.py); page scripts `t()` from static/js/i18n.js, whose catalog is
`/i18n/<code>.json?v=<hash>` (cached for a year under its hash).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from babel import Locale as BabelLocale
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_request_context, redirect, request, url_for
from werkzeug.wrappers import Response

from app.errors import BadRequest, NotFound
from app.i18n.catalogs import loaded
from app.i18n.locales import BY_CODE, DEFAULT_LOCALE, LOCALES, Locale, locale_for
from app.i18n.text import Text, render

COOKIE_NAME = "cs_locale"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
IMMUTABLE = "public, max-age=31536000, immutable"


def _from_accept_language() -> Locale | None:
    for tag, _quality in request.accept_languages:
        if tag == "*":
            continue
        found = locale_for(tag)
        if found is not None:
            return found
    return None


def _from_cookie() -> Locale | None:
    return BY_CODE.get(request.cookies.get(COOKIE_NAME, ""))


def negotiate() -> Locale:
    """The locale of this request (see the module's docstring)."""
    if request.path.startswith("/api/"):
        return _from_accept_language() or _from_cookie() or DEFAULT_LOCALE
    return _from_cookie() or _from_accept_language() or DEFAULT_LOCALE


def current_locale() -> Locale:
    """The request's locale (English outside a request: the CLI, the refresh job)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if "locale" not in g:
        g.locale = negotiate()
    locale: Locale = g.locale
    return locale


def gettext(message: str, **params: Any) -> str:
    """`message` in the request's language, `%(name)s` placeholders filled."""
    text = loaded(current_locale().code).translations.gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = loaded(current_locale().code).translations.ngettext(singular, plural, n)
    return text % {"num": n, **params}


def _catalog_gettext(message: str) -> str:
    return loaded(current_locale().code).translations.gettext(message)


def _catalog_ngettext(singular: str, plural: str, n: int) -> str:
    return loaded(current_locale().code).translations.ngettext(singular, plural, n)


def translate(message: str) -> str:
    """A message made earlier (a `Text`, or a plain string) in the request's language."""
    if not isinstance(message, Text):
        return message
    return render(message, loaded(current_locale().code).translations.gettext)


# The zero of each numbering system the locales name (Unicode has the ten digits in a row).
_ZEROS = {
    "deva": 0x966, "beng": 0x9E6, "guru": 0xA66, "gujr": 0xAE6, "orya": 0xB66,
    "tamldec": 0xBE6, "telu": 0xC66, "knda": 0xCE6, "mlym": 0xD66, "arabext": 0x6F0,
}  # fmt: skip


def numbering(locale: Locale | None = None) -> str:
    """The numbering system of the interface: Latin digits unless INTERFACE_DIGITS=native
    and the locale has digits of its own."""
    locale = locale or current_locale()
    native = has_request_context() and current_app.config.get("INTERFACE_DIGITS") == "native"
    return locale.native_digits if native and locale.native_digits in _ZEROS else "latn"


def format_number(value: float | int, locale: Locale | None = None) -> str:
    """`value` grouped as the locale groups (Indian locales: 12,34,567), in the interface's
    digits (`numbering`)."""
    locale = locale or current_locale()
    text = format_decimal(value, locale=locale.cldr, numbering_system="latn")
    system = numbering(locale)
    if system == "latn":
        return text
    zero = _ZEROS[system]
    return text.translate({ord("0") + d: chr(zero + d) for d in range(10)})


def language_name(language: Any) -> str:
    """A contribution language's name in the interface's language (CLDR's, through Babel:
    "ഹിന്ദി" for Hindi in the Malayalam interface), else its English name from the database.
    English keeps the database's name. `language` is a row or mapping with `code` and `name`."""
    code, english = language["code"], language["name"]
    locale = current_locale()
    if locale == DEFAULT_LOCALE:
        return str(english)
    named = BabelLocale.parse(locale.cldr).languages.get(str(code).replace("-", "_"))
    return str(named) if named else str(english)


def _local_path(target: str | None) -> str:
    """Where to go back to after a switch: a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("web.home")
    return target


def init_app(app: Flask, digits: str = "latin") -> None:
    app.config["INTERFACE_DIGITS"] = digits
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # jinja's new-style wrappers fill the placeholders themselves (escaped, `num` defaulting to
    # the count, so a template may pass num=n|number): they get the bare translations.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_catalog_gettext, ngettext=_catalog_ngettext, newstyle=True
    )
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["language_name"] = language_name
    for locale in LOCALES:  # read every catalog at start: a broken one fails the boot
        loaded(locale.code)

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        locale = current_locale()
        catalog = loaded(locale.code)
        return {
            "ui_locale": locale,
            "ui_locales": LOCALES,
            "ui_numbering": numbering(locale),
            "i18n_catalog_url": url_for("i18n_catalog", code=locale.code, v=catalog.script_hash),
        }

    @app.get("/i18n/<code>.json", endpoint="i18n_catalog")
    def catalog(code: str) -> Response:
        """A locale's messages for the page scripts; immutable under its hash."""
        if code not in BY_CODE:
            raise NotFound(Text("There is no interface language {code}.", code=code[:20]))
        found = loaded(code)
        response = Response(found.script_json, mimetype="application/json")
        if request.args.get("v") == found.script_hash:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        response.set_etag(found.script_hash)
        return response.make_conditional(request)

    @app.post("/language", endpoint="choose_interface_language")
    def choose() -> Response:
        """The switcher: remember the choice (cookie, and the profile when there is a
        session) and go back to the page it was made on."""
        code = request.form.get("locale", "")
        if code not in BY_CODE:
            raise BadRequest(
                Text(
                    "Choose one of the interface languages: {codes}.",
                    codes=", ".join(BY_CODE),
                ),
                code="unknown_locale",
                field="locale",
            )
        _save_in_profile(code)
        response = redirect(_local_path(request.form.get("next")), code=303)
        response.set_cookie(
            COOKIE_NAME, code, max_age=COOKIE_MAX_AGE, samesite="Lax",
            secure=request.is_secure, httponly=False,
        )  # fmt: skip
        return response


def _save_in_profile(code: str) -> None:
    from app import deps
    from app.contributors.identity import current_contributor_id

    contributor = current_contributor_id()
    if contributor is None:
        return
    with deps.database().connection() as conn:
        conn.execute(
            "UPDATE contributors SET interface_locale = %s WHERE id = %s"
            " AND interface_locale IS DISTINCT FROM %s",
            (code, contributor, code),
        )
