"""The gettext catalogs: one `messages.po` per locale under app/i18n/locale/<code>/LC_MESSAGES/,
made from `messages.pot` (`crowdsource i18n extract | update`, docs/i18n.md).

The server reads the .po files themselves at start (compiled in memory with Babel: no .mo
files to build or to forget to rebuild), and the page scripts get the same translations as
JSON: the entries whose source locations include a script (app/web/static/js/), with plural
forms keyed by CLDR plural category so `Intl.PluralRules` picks one in the browser. Fuzzy and
empty entries are left out everywhere: the English shows instead.
"""

from __future__ import annotations

import gettext as gettext_module
import hashlib
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale as BabelLocale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from app.i18n.locales import DEFAULT_LOCALE, LOCALES, Locale

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATE = HERE / "messages.pot"
DOMAIN = "messages"
SCRIPTS_PREFIX = "app/web/static/js/"


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


@dataclass(frozen=True)
class Loaded:
    """A locale's translations for the server, and its scripts' JSON with a content hash."""

    locale: Locale
    translations: gettext_module.NullTranslations
    script_json: bytes
    script_hash: str


def _translations(catalog: Catalog) -> gettext_module.NullTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _used_in_scripts(message: Any) -> bool:
    return any(str(path).startswith(SCRIPTS_PREFIX) for path, _line in message.locations)


def _category_order(locale: Locale, catalog: Catalog) -> dict[str, int]:
    """Which gettext plural form (by index) each CLDR category of the locale takes, found by
    asking both rules about the same numbers."""
    plural = gettext_module.c2py(catalog.plural_expr)
    cldr = BabelLocale.parse(locale.cldr).plural_form
    order: dict[str, int] = {}
    for n in range(0, 1001):
        order.setdefault(cldr(n), plural(n))
    return order


def script_messages(locale: Locale, catalog: Catalog) -> dict[str, Any]:
    """The translations the page scripts use: msgid → text, or for plurals msgid → {CLDR
    category → text} under the singular msgid (the scripts name both forms)."""
    order = _category_order(locale, catalog)
    messages: dict[str, Any] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not _used_in_scripts(message):
            continue
        if message.pluralizable:
            forms = list(message.string or ())
            if len(forms) < len(set(order.values())) or not all(forms):
                continue
            messages[str(message.id[0])] = {c: forms[i] for c, i in order.items()}
        elif message.string:
            messages[str(message.id)] = message.string
    return messages


def _load(locale: Locale) -> Loaded:
    path = catalog_path(locale.code)
    if locale == DEFAULT_LOCALE or not path.exists():
        translations: gettext_module.NullTranslations = gettext_module.NullTranslations()
        messages: dict[str, Any] = {}
    else:
        catalog = read_catalog(path, locale.cldr)
        translations = _translations(catalog)
        messages = script_messages(locale, catalog)
    body = json.dumps(
        {"locale": locale.code, "messages": messages}, ensure_ascii=False, sort_keys=True
    ).encode()
    return Loaded(locale, translations, body, hashlib.sha256(body).hexdigest()[:16])


@cache
def loaded(code: str) -> Loaded:
    """A locale's catalog, read once per process."""
    return _load(next(locale for locale in LOCALES if locale.code == code))


def plural_forms(locale: Locale) -> str:
    """The Plural-Forms header gettext uses for the locale (from Babel's CLDR data)."""
    plural = get_plural(locale.cldr)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"
