"""What the exports of the three text tasks share (transcribe, translate, label).

Each reads its contributions (text typed by a volunteer, or a validator's correction) with
their verdict, votes, pre-check score and `corrects` link, one row per contribution, and
writes them by status: `<task file>` (accepted), `rejected.tsv`, `pending.tsv`, then the
splits of the accepted ones (`train.tsv`, `dev.tsv`, `test.tsv`), any file of its own (a TMX,
JSON lines) and the datasheet. A format (asr.py, parallel.py, images.py) says which columns,
which rows (its SQL), what keeps a split's groups together and which media are copied.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from psycopg.rows import dict_row

from app.export.audio import ClipJob
from app.export.base import ExportResult, Format, Run, media_path
from app.export.datasheet import FileStats, SplitWords, TaskSheet, render_task_readme
from app.export.rows import FETCH_ROWS
from app.export.splits import SPLITS, Candidate, SplitPlan, plan_splits
from app.export.writer import README, read_rows, tsv, write_text

# What the part files hold after the published columns: never published.
HIDDEN = ("key", "group", "item", "held_out")  # key: the contribution's public id


class TextTaskFormat(Format):
    """A text task's dataset (see the module docstring); subclasses fill the class variables
    and `published`."""

    accepted_file: ClassVar[str]  # transcripts.tsv, translations.tsv, labels.tsv
    columns: ClassVar[dict[str, str]]  # published column -> its meaning (for the datasheet)
    words: ClassVar[SplitWords]  # how the datasheet names things
    person: ClassVar[str]  # transcriber, translator, labeller
    title: ClassVar[str]  # "transcripts", ...: the datasheet's title after the language
    about: ClassVar[str]  # the datasheet's first paragraph
    # SQL over %(language)s: one row per contribution of the task that is not removed, in the
    # order they were made, with public_id, contributor_id, item_id, status, media_key and
    # media_duration_ms (NULL without media), report_count (the most reports on it, its item
    # or a source: what keeps it out of the splits), and what `published` and `group` read.
    statement: ClassVar[str]
    media_extensions: ClassVar[tuple[str, ...]] = ()  # empty: the task has no media

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.media: dict[str, tuple[str, int]] = {}  # path -> (media key, duration in ms)

    @abstractmethod
    def published(self, row: Mapping[str, Any], path: str) -> list[str]:
        """A row of the statement as the published columns (in `columns` order); `path` is
        where its item's media goes in the export ("" without media)."""

    def group(self, row: Mapping[str, Any]) -> str:
        """What must stay on one side of the splits (splits.py): by default the item."""
        return f"item:{row['item_id']}"

    def tsv_files(self) -> dict[str, str]:
        """Every TSV written, -> what it holds."""
        noun = self.words.things
        return {
            self.accepted_file: f"accepted {noun}",
            "rejected.tsv": f"rejected {noun}",
            "pending.tsv": f"{noun} still waiting for enough votes",
            "train.tsv": "training split (accepted only)",
            "dev.tsv": "development split (accepted only)",
            "test.tsv": "test split (accepted only)",
        }

    def read(self, conn: psycopg.Connection[Any]) -> int:
        """The contributions into part files by status; return how many media files follow."""
        options, ids = self.run.options, self.run.ids
        parts = self.run.state.parts
        header = [*self.columns, *HIDDEN]
        with (
            tsv(parts / "accepted.tsv", header) as accepted,
            tsv(parts / "rejected.tsv", header) as rejected,
            tsv(parts / "pending.tsv", header) as pending,
            conn.cursor(name=f"export_{self.exporter}", row_factory=dict_row) as cursor,
        ):
            writers = {"accepted": accepted, "rejected": rejected, "pending": pending}
            cursor.itersize = FETCH_ROWS
            cursor.execute(self.statement, {"language": options.language})
            for row in cursor:
                path = ""
                if self.media_extensions and row["media_key"]:
                    path = media_path(
                        self.media_folder, row["media_key"], self.media_mode, self.media_extensions
                    )
                    self.media[path] = (row["media_key"], row["media_duration_ms"] or 0)
                held_out = row["report_count"] >= options.reports_to_hide
                hidden = [
                    str(row["public_id"]),
                    self.group(row),
                    str(row["item_id"]),
                    "1" if held_out else "",
                ]
                fields = self.published({**row, "client_id": ids(row["contributor_id"])}, path)
                writers[row["status"]]([*fields, *hidden])
        return len(self.media)

    def media_jobs(self) -> Iterator[ClipJob]:
        """Each item's media once."""
        for path, (key, duration_ms) in self.media.items():
            yield ClipJob(path, key, duration_ms)

    def write(self, missing: set[str], result: ExportResult) -> list[str]:
        """The TSVs by status, the splits, the format's own files and the datasheet."""
        out, options = self.run.state.out_dir, self.run.options
        names = self.tsv_files()
        files = {name: FileStats() for name in names}
        status_files = {
            "accepted": self.accepted_file,
            "rejected": "rejected.tsv",
            "pending": "pending.tsv",
        }
        split_files = {split: f"{split}.tsv" for split in SPLITS}
        columns = len(self.columns)
        path_at = list(self.columns).index("path") if "path" in self.columns else None
        client_at = list(self.columns).index("client_id")
        candidates: list[Candidate] = []
        held_out = 0
        people: set[str] = set()
        for status, name in status_files.items():
            with tsv(out / name, self.columns) as write:
                for fields in self._rows(status, missing, path_at):
                    write(fields[:columns])
                    client = sys.intern(fields[client_at])
                    files[name].add(client, 0)
                    people.add(client)
                    if status != "accepted":
                        continue
                    key, group, item, hidden = fields[columns:]
                    if hidden:
                        held_out += 1
                    else:
                        candidates.append(Candidate(key, group, int(item)))
        plan = plan_splits(candidates, max_per_sentence=options.max_per_sentence)
        del candidates
        with (
            tsv(out / split_files["train"], self.columns) as train,
            tsv(out / split_files["dev"], self.columns) as dev,
            tsv(out / split_files["test"], self.columns) as test,
        ):
            writers = {"train": train, "dev": dev, "test": test}
            for fields in self._rows("accepted", missing, path_at):
                split = plan.assignment.get(fields[columns])
                if split is not None:
                    writers[split](fields[:columns])
                    files[split_files[split]].add(fields[client_at], 0)
        own = self.write_own(out, lambda: self._rows("accepted", missing, path_at))
        sheet = self._sheet(files, names, missing, plan, held_out, len(people))
        write_text(out / README, render_task_readme(sheet))
        result.rows = {name: stats.clips for name, stats in files.items()}
        if not files[self.accepted_file].clips:
            result.notes.append(
                f"no accepted {self.words.things} in {options.language} yet: the splits are empty"
            )
        return [*names, *own, README]

    def write_own(self, out: Path, accepted: Callable[[], Iterator[list[str]]]) -> list[str]:
        """Files of the format's own from the accepted rows (`accepted()` reads them again:
        the published columns, then HIDDEN); return their paths. None by default."""
        del out, accepted
        return []

    def other_files(self) -> str:
        """The datasheet's paragraph on the media and the format's own files."""
        return ""

    def _rows(self, status: str, missing: set[str], path_at: int | None) -> Iterator[list[str]]:
        """A part file's rows, without those whose media could not be read."""
        for fields in read_rows(self.run.state.parts / f"{status}.tsv"):
            if path_at is None or not missing or self._path(fields[path_at]) not in missing:
                yield fields

    def _path(self, published: str) -> str:
        """The media path in the export from the `path` column (which may be bare)."""
        return published if "/" in published else f"{self.media_folder}/{published}"

    def _sheet(
        self,
        files: dict[str, FileStats],
        names: dict[str, str],
        missing: set[str],
        plan: SplitPlan,
        held_out: int,
        people: int,
    ) -> TaskSheet:
        options, language = self.run.options, self.run.language
        gone = (
            f"{len(missing):,} {self.media_folder[:-1]}(s) could not be read; their "
            f"{self.words.things} were left out of every file."
            if missing
            else ""
        )
        return TaskSheet(
            title=f"{language['name']} ({language['native_name']}) {self.title}",
            language_code=options.language,
            exported_at=options.exported_at or datetime.now(UTC),
            licence=options.licence,
            about=self.about,
            files=files,
            what=names,
            other_files=self.other_files(),
            missing=gone,
            plan=plan,
            words=self.words,
            max_per_item=options.max_per_sentence,
            held_out=held_out,
            columns=self.columns,
            person=self.person,
            contributors=people,
        )


def score_fields(row: Mapping[str, Any]) -> list[str]:
    """The pre-check columns: score, metric, past_threshold (empty without a reference)."""
    if row["reference_score"] is None:
        return ["", "", ""]
    score = f"{row['reference_score']:.4f}"
    return [score, row["reference_metric"], "1" if row["past_threshold"] else "0"]
