"""Translate's export: a parallel corpus into one language, as TSV and as TMX.

The language exported is the target: every translation into it, from whichever source
language its prompt named. `translations.tsv` (accepted), `rejected.tsv` and `pending.tsv`
give the source and its translation side by side; `translations.tmx` holds the accepted
pairs as TMX 1.4 (one `tu` per translation, a `tuv` per language with its `xml:lang`), which
translation-memory tools and `translate-toolkit` read. Splits keep every translation of one
source sentence on one side.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from app.export.datasheet import SplitWords
from app.export.text_tasks import TextTaskFormat, score_fields
from app.export.writer import clean

TMX_FILE = "translations.tmx"
# A translation's columns given in its `tu` as TMX properties (user-defined types start x-).
_PROPS = (
    ("x-source-id", "source_id"),
    ("x-up-votes", "up_votes"),
    ("x-down-votes", "down_votes"),
    ("x-score", "score"),
    ("x-metric", "metric"),
    ("x-corrects", "corrects"),
)
# Characters XML 1.0 cannot hold, even escaped (texts are checked, but a TMX that a reader
# refuses is worse than a dropped control character).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_TRANSLATIONS = """
SELECT c.public_id, c.contributor_id, c.item_id, c.status, c.text,
       c.accept_count, c.reject_count, c.reference_score, c.reference_metric, c.past_threshold,
       CASE WHEN fixed.status <> 'removed' THEN fixed.public_id END AS corrects,
       d.source_item_id, d.source_language_code, s.text AS source,
       greatest(c.report_count, d.report_count, s.report_count) AS report_count
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  JOIN dataset_rows s ON s.id = d.source_item_id
  LEFT JOIN contributions fixed ON fixed.id = c.corrects_id
 WHERE c.language_code = %(language)s AND c.kind = 'translation'
   AND c.status <> 'removed'  -- removed by an operator after reports: never published
 ORDER BY c.created_at, c.id
"""


class Parallel(TextTaskFormat):
    """Translations into the language, with their sources."""

    exporter = "parallel"
    audio = False
    accepted_file = "translations.tsv"
    statement = _TRANSLATIONS
    title = "translations"
    person = "translator"
    words = SplitWords(
        "translations",
        "source sentence",
        "source sentences",
        "made",
        accepted_file,
        "source sentence",
        "source sentences",
    )
    about = (
        "Sentences translated into this language by volunteers in their browsers, each "
        "translation checked by other volunteers who read both sides (Correct / Needs a change "
        "/ Incorrect). Only accepted translations are in the training splits and the TMX."
    )
    columns: ClassVar[dict[str, str]] = {
        "id": "the translation's id",
        "client_id": "the translator's salted hash (see Privacy)",
        "source_id": "the source sentence's id (all its translations share it)",
        "source_language": "the source sentence's language code",
        "source": "the source sentence",
        "target_language": "this export's language code",
        "translation": "the translation",
        "up_votes": "validators who said Correct",
        "down_votes": "validators who said Incorrect or Needs a change",
        "status": "accepted, rejected or pending",
        "score": "chrF against the prompt's reference translation",
        "metric": "chrf, or empty without a reference",
        "past_threshold": "1: below the threshold, confirmed by the translator",
        "corrects": "the id of the translation this one corrects",
    }

    def published(self, row: Mapping[str, Any], path: str) -> list[str]:
        """A translation in `columns` order."""
        return [
            str(row["public_id"]),
            row["client_id"],
            str(row["source_item_id"]),
            row["source_language_code"],
            clean(row["source"]),
            self.run.options.language,
            clean(row["text"]),
            str(row["accept_count"]),
            str(row["reject_count"]),
            row["status"],
            *score_fields(row),
            str(row["corrects"] or ""),
        ]

    def group(self, row: Mapping[str, Any]) -> str:
        """The source sentence."""
        return f"source:{row['source_item_id']}"

    def write_own(self, out: Path, accepted: Callable[[], Iterator[list[str]]]) -> list[str]:
        """translations.tmx: the accepted pairs."""
        write_tmx(out / TMX_FILE, accepted, list(self.columns), self.run.options.exported_at)
        return [TMX_FILE]

    def other_files(self) -> str:
        """The TMX."""
        return (
            f"`{TMX_FILE}` holds the accepted pairs as TMX 1.4 (UTF-8): one `tu` per "
            "translation, its `tuid` the translation's `id`, a `tuv` with `xml:lang` for the "
            "source and one for the translation, and the source's id, the votes and the "
            "score as `prop`s. The header's `srclang` is the source language, or `*all*` "
            "when translations came from several."
        )


def write_tmx(
    path: Path,
    rows: Callable[[], Iterator[list[str]]],
    columns: list[str],
    created: datetime | None,
) -> None:
    """TMX 1.4 of the rows (translations.tsv rows, read twice), written atomically."""
    at = {column: columns.index(column) for column in columns}
    sources = {row[at["source_language"]] for row in rows()}
    header = {
        "creationtool": "crowdsource",
        "creationtoolversion": "1",
        "datatype": "plaintext",
        "segtype": "sentence",
        "adminlang": "en",
        "srclang": sources.pop() if len(sources) == 1 else "*all*",
        "o-tmf": "crowdsource",
        "creationdate": (created or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
    }
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="\n") as handle:
        xml = XMLGenerator(handle, encoding="utf-8", short_empty_elements=True)

        def element(name: str, attributes: dict[str, str], text: str | None = None) -> None:
            xml.startElement(name, AttributesImpl(attributes))
            if text is not None:
                xml.characters(_NOT_XML.sub("", text))
                xml.endElement(name)

        xml.startDocument()
        xml.ignorableWhitespace("\n")
        element("tmx", {"version": "1.4"})
        element("header", header, "")
        element("body", {})
        for row in rows():
            xml.ignorableWhitespace("\n")
            source_language = row[at["source_language"]]
            element("tu", {"tuid": row[at["id"]], "srclang": source_language})
            for prop, column in _PROPS:
                if row[at[column]]:
                    element("prop", {"type": prop}, row[at[column]])
            for language, column in (
                (source_language, "source"),
                (row[at["target_language"]], "translation"),
            ):
                element("tuv", {"xml:lang": language})
                element("seg", {}, row[at[column]])
                xml.endElement("tuv")
            xml.endElement("tu")
        xml.ignorableWhitespace("\n")
        xml.endElement("body")
        xml.endElement("tmx")
        xml.ignorableWhitespace("\n")
        xml.endDocument()
    os.replace(temporary, path)
