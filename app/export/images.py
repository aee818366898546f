"""Label's export: images of text and what volunteers read in them.

`images/` holds each labelled image once, as stored (EXIF was stripped at ingest).
`labels.tsv` (accepted), `rejected.tsv` and `pending.tsv` give one row per label with the
image's path (relative to the export's root), size and format; `labels.jsonl` holds the
accepted labels as JSON lines whose `file_name` is the image's path from the root (the
layout of the `metadata.jsonl` that Hugging Face's `imagefolder` loader reads). Splits keep
every label of one image together.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from app.export.datasheet import SplitWords
from app.export.text_tasks import HIDDEN, TextTaskFormat, score_fields
from app.export.writer import clean
from app.storage.keys import IMAGE_EXTENSIONS

JSONL_FILE = "labels.jsonl"

_LABELS = """
SELECT c.public_id, c.contributor_id, c.item_id, c.status, c.text,
       c.accept_count, c.reject_count, c.reference_score, c.reference_metric, c.past_threshold,
       CASE WHEN fixed.status <> 'removed' THEN fixed.public_id END AS corrects,
       d.media_key, NULL::integer AS media_duration_ms, d.media_measures,
       greatest(c.report_count, d.report_count) AS report_count
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  LEFT JOIN contributions fixed ON fixed.id = c.corrects_id
 WHERE c.language_code = %(language)s AND c.kind = 'label'
   AND c.status <> 'removed'  -- removed by an operator after reports: never published
 ORDER BY c.created_at, c.id
"""


class Images(TextTaskFormat):
    """Labels of images, with the images."""

    exporter = "images"
    audio = False
    media_folder = "images"
    media_extensions = IMAGE_EXTENSIONS
    accepted_file = "labels.tsv"
    statement = _LABELS
    title = "text in images"
    person = "labeller"
    words = SplitWords("labels", "image", "images", "made", accepted_file, "image", "images")
    about = (
        "Images of text whose text volunteers typed in their browsers, each label checked by "
        "other volunteers who saw the image (Correct / Needs a change / Incorrect). Only "
        "accepted labels are in the training splits and in `labels.jsonl`."
    )
    columns: ClassVar[dict[str, str]] = {
        "id": "the label's id",
        "client_id": "the labeller's salted hash (see Privacy)",
        "path": "the image's path from the export's root (`images/...`)",
        "text": "the text typed",
        "up_votes": "validators who said Correct",
        "down_votes": "validators who said Incorrect or Needs a change",
        "locale": "the language code",
        "image_id": "the image's id (all labels of an image share it)",
        "status": "accepted, rejected or pending",
        "score": "character error rate against the image's reference text",
        "metric": "cer, or empty without a reference",
        "past_threshold": "1: past the threshold, confirmed by the labeller",
        "corrects": "the id of the label this one corrects",
        "width": "the image's width in pixels",
        "height": "the image's height in pixels",
        "format": "png, jpeg or webp",
    }

    def published(self, row: Mapping[str, Any], path: str) -> list[str]:
        """A label in `columns` order."""
        measures = row["media_measures"] or {}
        return [
            str(row["public_id"]),
            row["client_id"],
            path,
            clean(row["text"]),
            str(row["accept_count"]),
            str(row["reject_count"]),
            self.run.options.language,
            str(row["item_id"]),
            row["status"],
            *score_fields(row),
            str(row["corrects"] or ""),
            str(measures.get("width", "")),
            str(measures.get("height", "")),
            clean(str(measures.get("format", "")).lower()),
        ]

    def write_own(self, out: Path, accepted: Callable[[], Iterator[list[str]]]) -> list[str]:
        """labels.jsonl: the accepted labels, one JSON object a line."""
        names = [*self.columns, *HIDDEN]
        temporary = out / f".{JSONL_FILE}.tmp"
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for fields in accepted():
                row = dict(zip(names, fields, strict=True))
                entry: dict[str, Any] = {"file_name": row["path"], "text": row["text"]}
                for column in ("id", "client_id", "image_id", "metric", "corrects"):
                    entry[column] = row[column] or None
                entry["up_votes"] = int(row["up_votes"])
                entry["down_votes"] = int(row["down_votes"])
                entry["score"] = float(row["score"]) if row["score"] else None
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        os.replace(temporary, out / JSONL_FILE)
        return [JSONL_FILE]

    def other_files(self) -> str:
        """The images and the JSON lines."""
        return (
            "`images/` holds every labelled image once, as stored (EXIF and other metadata "
            f"were stripped when it was taken in). `{JSONL_FILE}` holds the accepted labels "
            "as JSON lines: `file_name` (the image's path from the export's root, the key of "
            "the `metadata.jsonl` that Hugging Face's `imagefolder` loader reads), `text`, "
            "`id`, `client_id`, `image_id`, `up_votes`, `down_votes`, `score`, `metric` and "
            "`corrects` (null when empty)."
        )
