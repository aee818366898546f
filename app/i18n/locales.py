"""The interface languages (issue #19): thirteen at launch, each with the name its speakers
know it by, its direction and script, and the identifier Babel's CLDR data has for it (plural
rules, number formats). The interface language is the volunteer's choice and independent of
the language they contribute in.

Adding a locale: a line here, a catalog (`crowdsource i18n init CODE`, docs/i18n.md), and its
glossary; the catalog test holds every listed locale to a complete catalog.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    code: str  # BCP 47, as in <html lang> and the catalog's folder
    native_name: str  # what the switcher shows: the name in the language itself
    english_name: str
    direction: str  # "ltr" | "rtl"
    script: str  # ISO 15924 code of the script the interface is written in
    cldr: str  # Babel's identifier, for plural rules and number formats
    # Numbering system used for numbers shown in this interface. Latin digits by default,
    # everywhere (what the dashboard's data and most phone keyboards use); a deployment may
    # switch a locale to its native digits with INTERFACE_NATIVE_DIGITS.
    native_digits: str | None = None


LOCALES: tuple[Locale, ...] = (
    Locale("en", "English", "English", "ltr", "Latn", "en"),
    Locale("hi", "हिन्दी", "Hindi", "ltr", "Deva", "hi", "deva"),
    Locale("bn", "বাংলা", "Bengali", "ltr", "Beng", "bn", "beng"),
    Locale("ta", "தமிழ்", "Tamil", "ltr", "Taml", "ta", "tamldec"),
    Locale("te", "తెలుగు", "Telugu", "ltr", "Telu", "te", "telu"),
    Locale("mr", "मराठी", "Marathi", "ltr", "Deva", "mr", "deva"),
    Locale("gu", "ગુજરાતી", "Gujarati", "ltr", "Gujr", "gu", "gujr"),
    Locale("kn", "ಕನ್ನಡ", "Kannada", "ltr", "Knda", "kn", "knda"),
    Locale("ml", "മലയാളം", "Malayalam", "ltr", "Mlym", "ml", "mlym"),
    Locale("pa", "ਪੰਜਾਬੀ", "Punjabi", "ltr", "Guru", "pa_Guru", "guru"),
    Locale("or", "ଓଡ଼ିଆ", "Odia", "ltr", "Orya", "or", "orya"),
    Locale("as", "অসমীয়া", "Assamese", "ltr", "Beng", "as", "beng"),
    Locale("ur", "اردو", "Urdu", "rtl", "Arab", "ur", "arabext"),
)

DEFAULT_LOCALE = LOCALES[0]
BY_CODE: dict[str, Locale] = {locale.code: locale for locale in LOCALES}


def locale_for(code: str | None) -> Locale | None:
    """The interface locale for a language tag ("hi", "hi-IN", "pa-Guru-IN"), or None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return BY_CODE.get(primary)
