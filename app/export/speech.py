"""Speak's export: a language's recordings in Common Voice's layout (commonvoice.py).

Read: the recordings by status into part files (writer.PART_COLUMNS), the reports, the
speaker count and the validators' agreement, all in the export's snapshot. Media: every
recording's clip. Write: validated / invalidated / other.tsv (recordings whose audio could
not be read are left out), the speaker-disjoint splits, clip_durations.tsv, reported.tsv,
crowdsource_extra.tsv, crowdsource_reported.tsv and the datasheet.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg

from app.export.audio import ClipJob, clip_path
from app.export.base import ExportResult, Format, Run
from app.export.commonvoice import (
    CV_COLUMNS,
    EXTRA_COLUMNS,
    EXTRA_FILE,
    EXTRA_REPORTED_FILE,
    cv_fields,
    extra_fields,
    file_name,
    write_reports,
)
from app.export.datasheet import Demographics, FileStats, Summary, render_readme
from app.export.privacy import demographics_allowed
from app.export.rows import STATUSES, count_speakers, iter_recordings, read_reports
from app.export.splits import Candidate, plan_splits
from app.export.writer import (
    CLIENT,
    DURATION,
    DURATION_COLUMNS,
    HELD_OUT,
    MEDIA_KEY,
    PART_COLUMNS,
    PATH,
    README,
    SENTENCE_ID,
    SPLIT_FILES,
    STATUS_FILES,
    part_fields,
    read_rows,
    reported_fields,
    tsv,
    write_text,
)
from app.stats.agreement import NO_VOTES, Agreement, language_agreement


class CommonVoice(Format):
    """Speak's recordings as Common Voice's clip TSVs, our extra columns apart."""

    exporter = "commonvoice"

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.speakers_total = 0
        self.reports: list[list[str]] = []  # rows of crowdsource_reported.tsv
        self.agreement: Agreement = NO_VOTES  # between validators, in the same snapshot

    def read(self, conn: psycopg.Connection[Any]) -> int:
        """The recordings into part files (one per status) and the reported rows."""
        code, audio, speakers = self.run.options.language, self.run.options.audio, self.run.ids
        self.speakers_total = count_speakers(conn, code)
        demographics = demographics_allowed(self.speakers_total)
        self.agreement = language_agreement(conn, code)
        self.reports = [
            reported_fields(
                report,
                speakers=speakers,
                path=clip_path(report.public_id, report.media_key, audio)
                if report.public_id and report.media_key
                else "",
            )
            for report in read_reports(conn, code)
        ]
        total = 0
        header = [*PART_COLUMNS, "media_key", "held_out"]
        parts = self.run.state.parts
        with (
            tsv(parts / "accepted.tsv", header) as accepted,
            tsv(parts / "rejected.tsv", header) as rejected,
            tsv(parts / "pending.tsv", header) as pending,
        ):
            writers = {"accepted": accepted, "rejected": rejected, "pending": pending}
            for row in iter_recordings(conn, code):
                held_out = max(row.report_count, row.sentence_report_count)
                writers[row.status](
                    part_fields(
                        row,
                        speaker=speakers(row.contributor_id),
                        path=clip_path(row.public_id, row.media_key, audio),
                        locale=code,
                        demographics=demographics,
                        held_out=held_out >= self.run.options.reports_to_hide,
                    )
                )
                total += 1
        return total

    def media_jobs(self) -> Iterator[ClipJob]:
        """Every recording's clip."""
        for status in STATUSES:
            for fields in self._part_rows(status):
                yield ClipJob(fields[PATH], fields[MEDIA_KEY], int(fields[DURATION] or 0))

    def write(self, missing: set[str], result: ExportResult) -> list[str]:
        """The TSVs, splits, durations, reports and the datasheet."""
        state, options = self.run.state, self.run.options
        out = state.out_dir
        files = {name: FileStats() for name in [*STATUS_FILES.values(), *SPLIT_FILES.values()]}
        demographics = Demographics()
        candidates: list[Candidate] = []
        held_out = 0
        written: set[str] = set()

        def published(fields: list[str]) -> list[str]:
            row = fields[: len(PART_COLUMNS)]
            row[DURATION] = str(state.clips[row[PATH]][2])
            row[CLIENT] = sys.intern(row[CLIENT])  # one string per speaker in the sets below
            return row

        # Common Voice's columns in its files, ours in crowdsource_extra.tsv (commonvoice.py).
        with tsv(out / EXTRA_FILE, EXTRA_COLUMNS) as extra:
            for status, name in STATUS_FILES.items():
                with tsv(out / name, CV_COLUMNS) as write:
                    for fields in self._part_rows(status):
                        if fields[PATH] in missing:
                            continue
                        row = published(fields)
                        write(cv_fields(row))
                        extra(extra_fields(row, status))
                        written.add(row[PATH])
                        files[name].add(row[CLIENT], int(row[DURATION]))
                        if status == "accepted":
                            demographics.add(row, row[CLIENT])
                            if fields[HELD_OUT]:
                                held_out += 1
                            else:
                                candidates.append(
                                    Candidate(row[PATH], row[CLIENT], int(row[SENTENCE_ID]))
                                )
        plan = plan_splits(candidates, max_per_sentence=options.max_per_sentence)
        del candidates
        with (
            tsv(out / SPLIT_FILES["train"], CV_COLUMNS) as train,
            tsv(out / SPLIT_FILES["dev"], CV_COLUMNS) as dev,
            tsv(out / SPLIT_FILES["test"], CV_COLUMNS) as test,
        ):
            writers = {"train": train, "dev": dev, "test": test}
            for fields in self._part_rows("accepted"):
                split = plan.assignment.get(fields[PATH])
                if split is not None:
                    row = published(fields)
                    writers[split](cv_fields(row))
                    files[SPLIT_FILES[split]].add(row[CLIENT], int(row[DURATION]))
        with tsv(out / "clip_durations.tsv", DURATION_COLUMNS) as write:
            for path in sorted(written):
                write([file_name(path), str(state.clips[path][2])])
        reported = write_reports(out, self.reports, missing, options.language)
        summary = Summary(
            language_code=options.language,
            language_name=self.run.language["name"],
            native_name=self.run.language["native_name"],
            exported_at=options.exported_at or datetime.now(UTC),
            licence=options.licence,
            audio=options.audio,
            max_per_sentence=options.max_per_sentence,
            speakers_total=self.speakers_total,
            demographics_published=demographics_allowed(self.speakers_total),
            files=files,
            plan=plan,
            held_out_reported=held_out,
            reports=len(self.reports),
            missing=len(missing),
            demographics=demographics,
            agreement=self.agreement,
        )
        write_text(out / README, render_readme(summary))
        result.rows = {name: stats.clips for name, stats in files.items()}
        result.rows["reported.tsv"] = reported
        result.rows[EXTRA_REPORTED_FILE] = len(self.reports)
        if not files["validated.tsv"].clips:
            result.notes.append(
                f"no accepted recordings in {options.language} yet: the splits are empty"
            )
        names = [*STATUS_FILES.values(), *SPLIT_FILES.values()]
        names += ["clip_durations.tsv", "reported.tsv", EXTRA_FILE, EXTRA_REPORTED_FILE]
        return [*names, README]

    def _part_rows(self, status: str) -> Iterator[list[str]]:
        return read_rows(self.run.state.parts / f"{status}.tsv")
