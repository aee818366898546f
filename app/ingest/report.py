"""What an ingest run tells its operator: how many items were added, how many refused and why.

Refusal reasons are stable codes (in reports, the refused-lines file and
`ingest_batches.refusals`) with a label for people.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

# Sentences, in the order the rules are tried (see app.ingest.text.SentenceRules.check).
SENTENCE_REASONS: dict[str, str] = {
    "bad_encoding": "not valid UTF-8",
    "empty": "empty line",
    "has_url": "contains a web or e-mail address",
    "has_digits": "contains digits",
    "wrong_script": "has characters outside the language's script",
    "too_short": "fewer words than the minimum",
    "too_long": "more words than the maximum",
    "too_many_chars": "longer than 1000 characters",
    "blocked_word": "contains a blocked word",
    "duplicate_in_file": "appears earlier in the file",
    "already_present": "already in the database",
    "row_refused": "another cell of its parallel row was refused",
}
# Media items (audio with transcripts, images with reference text).
MEDIA_REASONS: dict[str, str] = {
    "unsafe_path": "a path that leaves the folder or archive, or not a regular file",
    "unsupported_file": "neither media of this kind nor a .txt text",
    "missing_file": "the manifest names a file that does not exist",
    "other_language": "a manifest row for another language",
    "no_media": "a text without its media file",
    "no_text": "a media file without its text",
    "unreadable": "could not be read from the folder or archive",
    "too_large": "file larger than the limit",
    "not_audio": "not audio we can decode",
    "not_image": "not an image",
    "unsupported_image_format": "an image, but not JPEG, PNG or WebP (GIF, BMP, TIFF...)",
    "too_many_pixels": "image with more pixels than the limit (a decompression bomb?)",
    "animated_image": "an animated image (more than one frame)",
    "corrupt_image": "image truncated or damaged: it does not decode",
    "audio_too_short": "audio shorter than the minimum",
    "audio_too_long": "audio longer than the maximum",
    "silent": "audio too quiet to hear",
    "no_speech": "audio in which nobody speaks",
    "clipped": "audio distorted by clipping",
    "bad_text": "text empty, not UTF-8, too long or outside the language's script",
}
REASONS: dict[str, str] = {**SENTENCE_REASONS, **MEDIA_REASONS}


@dataclass(frozen=True)
class Refusal:
    """One refused line or item: where it was (line number or file name), its language,
    the reason code and the text as normalised (or the raw text if normalising emptied it)."""

    where: str
    language: str
    reason: str
    text: str


@dataclass
class IngestReport:
    """The outcome of one run; `batch_id` is None for a dry run."""

    source: str
    kind: str  # sentence | parallel | audio | image
    languages: list[str]
    dry_run: bool
    batch_id: int | None = None
    added: Counter[str] = field(default_factory=Counter)  # per language
    refused: Counter[str] = field(default_factory=Counter)  # per reason
    refused_by_language: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, in order

    @property
    def added_count(self) -> int:
        """Items added, all languages together."""
        return sum(self.added.values())

    @property
    def refused_count(self) -> int:
        """Items refused, all reasons together."""
        return sum(self.refused.values())

    def refuse(self, language: str, reason: str, count: int = 1) -> None:
        """Count `count` refusals of `reason` in `language`."""
        self.refused[reason] += count
        self.refused_by_language.setdefault(language, Counter())[reason] += count

    def summary(self) -> str:
        """`N added, M refused`: the line a run ends with."""
        return f"{self.added_count} added, {self.refused_count} refused"

    def reason_lines(self) -> list[str]:
        """One line per reason, most frequent first: `  code  count  label`."""
        width = max((len(code) for code in self.refused), default=0)
        ordered = sorted(
            self.refused.items(), key=lambda item: (-item[1], list(REASONS).index(item[0]))
        )
        return [f"  {code:<{width}}  {count:>7}  {REASONS[code]}" for code, count in ordered]

    def timing(self) -> str:
        """`took 31.2 s: reading and checking 8.1 s, database 23.1 s`."""
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        return f"took {sum(self.seconds.values()):.1f} s: {phases}"

    def as_json(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict (also what `ingest_batches.refusals` holds)."""
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "added": dict(self.added),
            "refused": dict(self.refused),
        }


class RefusedWriter:
    """Writes refusals as TSV (`where`, `language`, `reason`, `text`) with a header row;
    fields with tabs, quotes or line breaks are quoted as CSV does."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        self._writer.writerow(["where", "language", "reason", "text"])

    def __call__(self, refusal: Refusal) -> None:
        """Write one refusal."""
        self._writer.writerow([refusal.where, refusal.language, refusal.reason, refusal.text])
