"""What makes a catalog shippable (the catalog test and `crowdsource i18n check` share it):
every message of the template translated, not fuzzy, not empty, with the same placeholders as
the English, and no markup (a translation is text: the templates and scripts own the HTML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.messages.catalog import Catalog, Message

# Placeholders in our messages: {name} (Text, page scripts) and %(name)s (templates, gettext);
# %% is a literal percent sign in the templates' messages.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sd]")
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!]|&[A-Za-z#][A-Za-z0-9]*;")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Stats:
    entries: int
    translated: int
    fuzzy: int

    @property
    def untranslated(self) -> int:
        return self.entries - self.translated - self.fuzzy


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return [str(form) for form in message.string]
    return [str(message.string or "")]


def _ids(message: Message) -> list[str]:
    if isinstance(message.id, (list, tuple)):
        return [str(part) for part in message.id]
    return [str(message.id)]


def is_translated(message: Message) -> bool:
    return all(form.strip() for form in _forms(message))


def stats(catalog: Catalog, template: Catalog) -> Stats:
    translated = fuzzy = 0
    for entry in template:
        if not entry.id:
            continue
        message = catalog.get(entry.id, entry.context)
        if message is None or not is_translated(message):
            continue
        if message.fuzzy:
            fuzzy += 1
        else:
            translated += 1
    return Stats(sum(1 for e in template if e.id), translated, fuzzy)


def problems(catalog: Catalog, template: Catalog) -> list[str]:
    """Why this catalog is not complete, one line per message at fault (empty when it is)."""
    found: list[str] = []
    for entry in template:
        if not entry.id:
            continue
        label = _ids(entry)[0][:60]
        message = catalog.get(entry.id, entry.context)
        if message is None:
            found.append(f"missing: {label!r}")
            continue
        if not is_translated(message):
            found.append(f"empty: {label!r}")
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {label!r}")
        expected = placeholders(_ids(entry)[-1])
        for form in _forms(message):
            if placeholders(form) != expected and placeholders(form) != placeholders(
                _ids(entry)[0]
            ):
                found.append(
                    f"placeholders differ in {label!r}: {placeholders(form)} for {expected}"
                )
            if MARKUP.search(form):
                found.append(f"markup in the translation of {label!r}")
    for message in catalog:
        if message.id and template.get(message.id, message.context) is None:
            found.append(f"not in the template (run update): {_ids(message)[0][:60]!r}")
    return found
