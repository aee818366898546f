"""Messages that are translated where they are shown, not where they are made.

Domain code raises errors long before anyone knows who will read them (an HTTP client in Urdu,
an operator's terminal in English). A `Text` is the English message, formatted (so logs, the
CLI and every `str` use see plain English), that also carries its msgid and parameters, so the
web layer can render it again from the reader's catalog (app/i18n/runtime.py). Parameters are
substituted with `str.format` after translation; a parameter that is itself a `Text` is
translated too.

    raise NotFound(Text("There is no sentence with id {id}.", id=value))

`Text` is the extraction keyword (babel.cfg), so every such msgid is in the catalogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Text(str):
    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Text:
        value = msgid.format(**params) if params else msgid
        text = super().__new__(cls, value)
        text.msgid = msgid
        text.params = params
        return text

    def render(self, gettext: Callable[[str], str]) -> str:
        """This message in the language `gettext` translates into (the English when the
        catalog has no translation, or one whose placeholders do not match)."""
        params = {
            key: value.render(gettext) if isinstance(value, Text) else value
            for key, value in self.params.items()
        }
        translated = gettext(self.msgid)
        try:
            return translated.format(**params) if params else translated
        except (KeyError, IndexError, ValueError):
            return str(self)


def render(message: str, gettext: Callable[[str], str]) -> str:
    """`message` for the reader: a `Text` translated, any other string as it is."""
    return message.render(gettext) if isinstance(message, Text) else message
