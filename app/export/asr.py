"""Transcribe's export: an ASR dataset, the clips and their transcripts.

`clips/` holds each transcribed clip once, copied as stored or transcoded (--audio), as the
speak export does. `transcripts.tsv` (accepted), `rejected.tsv` and `pending.tsv` have Common
Voice's columns where they apply (`client_id`, `path` as a bare file name joined to `clips/`,
`sentence`: the transcript, `up_votes`, `down_votes`, `locale`), then ours. Splits keep all
transcripts of one clip together, and a clip cut from a recording on its speaker's side: the
group is the recording's speaker, else the clip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from app.export.commonvoice import file_name
from app.export.datasheet import SplitWords
from app.export.text_tasks import TextTaskFormat, score_fields
from app.export.writer import clean
from app.storage.keys import AUDIO_EXTENSIONS

_TRANSCRIPTS = """
SELECT c.public_id, c.contributor_id, c.item_id, c.status, c.text,
       c.accept_count, c.reject_count, c.reference_score, c.reference_metric, c.past_threshold,
       CASE WHEN fixed.status <> 'removed' THEN fixed.public_id END AS corrects,
       d.media_key, d.media_duration_ms, r.contributor_id AS speaker_id,
       greatest(c.report_count, d.report_count) AS report_count
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  LEFT JOIN contributions fixed ON fixed.id = c.corrects_id
  LEFT JOIN contributions r ON r.id = d.source_contribution_id
 WHERE c.language_code = %(language)s AND c.kind = 'transcription'
   AND c.status <> 'removed'  -- removed by an operator after reports: never published
 ORDER BY c.created_at, c.id
"""


class Asr(TextTaskFormat):
    """Transcripts of clips, with the clips."""

    exporter = "asr"
    accepted_file = "transcripts.tsv"
    statement = _TRANSCRIPTS
    media_extensions = AUDIO_EXTENSIONS
    title = "transcribed speech"
    person = "transcriber"
    words = SplitWords(
        "transcripts",
        "clip",
        "clips",
        "made",
        accepted_file,
        "clip",
        "clips (those cut from one speaker's recordings as one)",
    )
    about = (
        "Clips transcribed by volunteers in their browsers, each transcript checked by other "
        "volunteers (Correct / Needs a change / Incorrect). Only accepted transcripts are in "
        "the training splits. A clip is either ingested audio or a recording accepted in the "
        "speak task; in the latter case `speaker_id` holds its speaker's id (as `client_id` "
        "in the speak export made with the same salt)."
    )
    columns: ClassVar[dict[str, str]] = {
        "client_id": "the transcriber's salted hash (see Privacy)",
        "path": "the clip's file name in `clips/`",
        "sentence": "the transcript",
        "up_votes": "validators who said Correct",
        "down_votes": "validators who said Incorrect or Needs a change",
        "locale": "the language code",
        "id": "the transcript's id",
        "clip_id": "the clip's id (all transcripts of a clip share it)",
        "status": "accepted, rejected or pending",
        "duration_ms": "the clip's duration in milliseconds",
        "score": "character error rate against the clip's reference text",
        "metric": "cer, or empty without a reference",
        "past_threshold": "1: past the threshold, confirmed by the transcriber",
        "corrects": "the id of the transcript this one corrects",
        "speaker_id": "the clip's speaker's salted hash, for a clip cut from a recording",
    }

    def published(self, row: Mapping[str, Any], path: str) -> list[str]:
        """A transcript in `columns` order."""
        speaker = row["speaker_id"]
        return [
            row["client_id"],
            file_name(path),
            clean(row["text"]),
            str(row["accept_count"]),
            str(row["reject_count"]),
            self.run.options.language,
            str(row["public_id"]),
            str(row["item_id"]),
            row["status"],
            str(row["media_duration_ms"] or ""),
            *score_fields(row),
            str(row["corrects"] or ""),
            self.run.ids(speaker) if speaker else "",
        ]

    def group(self, row: Mapping[str, Any]) -> str:
        """The recording's speaker for a clip cut from one, else the clip."""
        speaker = row["speaker_id"]
        return f"speaker:{self.run.ids(speaker)}" if speaker else f"item:{row['item_id']}"

    def other_files(self) -> str:
        """The clips."""
        mode = self.media_mode
        how = (
            "as stored (the file extension says which format)"
            if mode == "original"
            else f"as 16 kHz mono 16-bit {mode.upper()}"
        )
        return (
            f"`clips/` holds every transcribed clip once, {how}; `path` is its file name "
            "there (`clips/` + `path`, as in Common Voice)."
        )
