"""The interface in the volunteer's own language (issue #19, docs/i18n.md): the locales
(locales.py), the gettext catalogs and their JSON for the page scripts (catalogs.py), each
request's locale and translations (runtime.py), and messages translated where they are read
(text.py)."""

from app.i18n.locales import BY_CODE, DEFAULT_LOCALE, LOCALES, Locale, locale_for
from app.i18n.text import Text

__all__ = ["BY_CODE", "DEFAULT_LOCALE", "LOCALES", "Locale", "Text", "locale_for"]
