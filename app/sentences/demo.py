"""The demo shipped with the product, loaded by the embedded default on first start: sentences
to read, clips to transcribe, images to label and parallel sentences to translate from.

The files in `demo/` are our own (see demo/README.md): one sentence a line per language code,
`parallel.csv`, and the clips and images `scripts/make_demo_content.py` makes from the sentences.
"""

from __future__ import annotations

import tempfile
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import permutations
from pathlib import Path

from app.audio import DEFAULT_LIMITS, AudioLimits
from app.contribute.opening import make_prompts, set_task
from app.db import Conn
from app.ingest.media import ingest_media
from app.ingest.report import IngestReport
from app.ingest.sentences import ingest_sentences
from app.storage import Storage
from app.tasks import LABEL, TRANSCRIBE, TRANSLATE

_INSERT = """
INSERT INTO dataset_rows (language_code, kind, text, source)
VALUES (%(language)s, 'sentence', %(text)s, 'demo')
ON CONFLICT DO NOTHING
"""

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('crowdsource.demo_sentences'))"

# Rows that are not the demo's: neither demo sentences nor from a demo batch. Rows made from
# other rows (prompts to translate, clips from recordings) follow what they were made from.
# The demo's own prompts are made from its sentences, in every direction between the
# languages of the parallel file.
_OTHER_ROWS = """
SELECT 1 FROM dataset_rows d
 WHERE d.source IS DISTINCT FROM 'demo'
   AND d.source_item_id IS NULL AND d.source_contribution_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM ingest_batches b
                    WHERE b.id = d.batch_id AND b.source = ANY(%(demo)s))
 LIMIT 1
"""

# A demo batch that exists, active or retired, is never loaded again.
_LOADED = "SELECT source FROM ingest_batches WHERE source = ANY(%(demo)s)"


@dataclass(frozen=True)
class DemoBatch:
    """One set of demo items, loaded as one ingest batch named `name`: a folder of media
    pairs (kind audio or image, one language) or the parallel sentence file."""

    name: str
    kind: str  # audio | image | parallel
    language: str | None
    files: Traversable


@dataclass
class DemoItems:
    """What `load_demo_items` did: the ingest reports of the sets loaded, the prompts made
    to translate, and the tasks it opened (task, language)."""

    reports: list[IngestReport] = field(default_factory=list)
    prompts: int = 0
    opened: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the operator: `loaded the demo items: 48 parallel, 20 audio, ...`."""
        added: dict[str, int] = {}
        for report in self.reports:
            added[report.kind] = added.get(report.kind, 0) + report.added_count
        parts = [", ".join(f"{count} {kind}" for kind, count in added.items())]
        refused = sum(report.refused_count for report in self.reports)
        if refused:
            parts[0] += f" ({refused} refused)"
        if self.prompts:
            parts.append(f"{self.prompts} prompts to translate")
        tasks: dict[str, list[str]] = {}
        for task, language in self.opened:
            tasks.setdefault(task, []).append(language)
        if tasks:
            opened = ", ".join(f"{task} in {' '.join(codes)}" for task, codes in tasks.items())
            parts.append(f"opened {opened}")
        return "loaded the demo items: " + "; ".join(parts)


def demo_sentences() -> dict[str, list[str]]:
    """The shipped demo sentences by language code, NFC-normalised, blank lines dropped."""
    folder = resources.files("app.sentences") / "demo"
    sentences: dict[str, list[str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            lines = entry.read_text(encoding="utf-8-sig").splitlines()
            sentences[entry.name.removesuffix(".txt")] = [
                unicodedata.normalize("NFC", " ".join(line.split()))
                for line in lines
                if line.strip()
            ]
    return sentences


def load_demo_sentences_if_empty(conn: Conn) -> int:
    """Insert the demo sentences when the database has no items at all; return how many.

    Runs in the caller's transaction; takes a transaction-level advisory lock so that two
    processes starting at once load them only once.
    """
    conn.execute(_LOCK)
    if conn.execute("SELECT 1 FROM dataset_rows LIMIT 1").fetchone() is not None:
        return 0
    rows = [
        {"language": language, "text": text}
        for language, texts in demo_sentences().items()
        for text in texts
    ]
    with conn.cursor() as cur:
        cur.executemany(_INSERT, rows)
    return len(rows)


def demo_batches() -> list[DemoBatch]:
    """The shipped sets of demo items: the parallel file, then clips and images per language."""
    folder = resources.files("app.sentences") / "demo"
    batches = [DemoBatch("demo-parallel.csv", "parallel", None, folder / "parallel.csv")]
    for kind, subfolder in (("audio", "clips"), ("image", "images")):
        for entry in sorted((folder / subfolder).iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                name = f"demo-{subfolder}-{entry.name}"
                batches.append(DemoBatch(name, kind, entry.name, entry))
    return batches


def load_demo_items(
    conn: Conn, storage: Storage, *, limits: AudioLimits = DEFAULT_LIMITS
) -> DemoItems:
    """Load the demo's clips, images and parallel sentences through the ingest (media into
    `storage`), each set as one batch named after it (`demo-clips-hi`...), and open its task
    in its language so it can be tried at once: transcribe for clips, label for images, and
    for the parallel file translate into each of its languages, with prompts from every
    sentence of the others (those of the parallel file carry its translation as the
    reference). Returns what was done now.

    A set is loaded once: never again once its batch exists, even retired (and its task is
    not opened again: an operator may have closed it). Nothing is loaded into a database
    holding rows that are not the demo's (a real deployment that runs on the embedded default
    keeps its own data to itself). Runs in the caller's transaction under the lock of
    `load_demo_sentences_if_empty`, after it. Raises what the ingest raises (IngestFailed,
    StorageError...).
    """
    conn.execute(_LOCK)
    batches = demo_batches()
    names = [batch.name for batch in batches]
    done = DemoItems()
    if conn.execute(_OTHER_ROWS, {"demo": names}).fetchone() is not None:
        return done
    loaded = {row["source"] for row in conn.execute(_LOADED, {"demo": names}).fetchall()}
    with tempfile.TemporaryDirectory(prefix="crowdsource-demo-") as tmp:
        for batch in batches:
            if batch.name in loaded:
                continue
            # A copy under the batch's name: the ingest names batches and rows by their path.
            path = _copy(batch.files, Path(tmp) / batch.name)
            if batch.kind == "parallel":
                report = ingest_sentences(conn, path)
                for source, target in permutations(report.languages, 2):
                    done.prompts += int(make_prompts(conn, source, target)["added"])
                tasks = [(TRANSLATE, code) for code in report.languages]
            else:
                assert batch.language is not None
                report = ingest_media(
                    conn, storage, path, language=batch.language, kind=batch.kind, limits=limits
                )
                tasks = [(TRANSCRIBE if batch.kind == "audio" else LABEL, batch.language)]
            done.reports.append(report)
            for task, code in tasks:
                set_task(conn, task, code)
                done.opened.append((task.name, code))
    return done


def _copy(source: Traversable, target: Path) -> Path:
    """`source` (a file, or a folder of files) copied to `target`; returns `target`."""
    if source.is_file():
        target.write_bytes(source.read_bytes())
        return target
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_file():
            (target / entry.name).write_bytes(entry.read_bytes())
    return target
