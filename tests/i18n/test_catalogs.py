"""The catalogs (issue #19): the template holds every message of the code, templates and
scripts; every interface locale has a catalog, complete (no missing, empty or fuzzy entry),
with the English placeholders and no markup; the JSON for page scripts has the scripts'
messages with plural forms by CLDR category."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog

from app.i18n import DEFAULT_LOCALE, LOCALES
from app.i18n.catalogs import TEMPLATE, catalog_path, read_catalog, script_messages
from app.i18n.checks import problems
from ops.i18n import extract_template

TRANSLATED = [locale for locale in LOCALES if locale != DEFAULT_LOCALE]


def test_the_template_holds_every_message_of_the_code() -> None:
    extracted = {m.id for m in extract_template() if m.id}
    template = {m.id for m in read_catalog(TEMPLATE) if m.id}
    assert extracted - template == set(), "run `crowdsource i18n update`"
    assert template - extracted == set(), "run `crowdsource i18n update`"


@pytest.mark.parametrize("locale", TRANSLATED, ids=lambda locale: locale.code)
def test_every_catalog_is_complete(locale) -> None:
    path = catalog_path(locale.code)
    assert path.exists(), f"no catalog for {locale.english_name}: crowdsource i18n update"
    catalog = read_catalog(path, locale.cldr)
    found = problems(catalog, read_catalog(TEMPLATE))
    assert found == [], f"{locale.code}: {len(found)} problems, first: {found[:5]}"


def _catalog(entries: list[tuple[object, object]], *, fuzzy: tuple[int, ...] = ()) -> Catalog:
    catalog = Catalog(locale="hi")
    for number, (msgid, msgstr) in enumerate(entries):
        catalog.add(msgid, msgstr, locations=[("app/web/static/js/x.js", 1)],
                    flags=("fuzzy",) if number in fuzzy else ())  # fmt: skip
    return catalog


def test_the_check_names_each_kind_of_problem() -> None:
    template = _catalog([("Saved.", ""), ("Hello {name}", ""), ("Go", ""), ("Stop", ""),
                         ("Wait", ""), ("Keep %(n)s", "")])  # fmt: skip
    catalog = _catalog(
        [("Saved.", ""), ("Hello {name}", "नमस्ते {naam}"), ("Go", "<b>जाओ</b>"),
         ("Wait", "रुको"), ("Keep %(n)s", "रखो %(n)s"), ("Old", "पुराना")],
        fuzzy=(3,),
    )  # fmt: skip
    found = problems(catalog, template)
    assert "empty: 'Saved.'" in found
    assert any(line.startswith("placeholders differ in 'Hello {name}'") for line in found)
    assert "markup in the translation of 'Go'" in found
    assert "missing: 'Stop'" in found
    assert "fuzzy: 'Wait'" in found
    assert "not in the template (run update): 'Old'" in found
    assert not any("Keep" in line for line in found)


def test_script_messages_key_plural_forms_by_cldr_category() -> None:
    hindi = next(locale for locale in LOCALES if locale.code == "hi")
    catalog = Catalog(locale="hi")
    catalog.add(("{n} recording", "{n} recordings"), ("{n} रिकॉर्डिंग", "{n} रिकॉर्डिंग्स"),
                locations=[("app/web/static/js/speak.js", 3)])  # fmt: skip
    catalog.add("Server only", "केवल सर्वर", locations=[("app/errors_http.py", 1)])
    catalog.add("Waiting", "", locations=[("app/web/static/js/speak.js", 4)])
    messages = script_messages(hindi, catalog)
    # Hindi's CLDR rule: 0 and 1 are "one"; gettext's (n > 1) gives them form 0
    assert messages == {"{n} recording": {"one": "{n} रिकॉर्डिंग", "other": "{n} रिकॉर्डिंग्स"}}
