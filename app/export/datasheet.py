"""README.md of an export: a datasheet saying what is in it, how it was split, who spoke it
(in aggregate), how far its validators agree, under which licence, and how to check it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from app.export.commonvoice import columns_section
from app.export.privacy import MIN_SPEAKERS_FOR_DEMOGRAPHICS, SPEAKER_ID_HEX
from app.export.splits import SplitPlan, base_sample_size
from app.export.writer import DEMOGRAPHICS, SPLIT_FILES, STATUS_FILES
from app.stats.agreement import NO_VOTES, Agreement

_DIMENSIONS = ("age", "gender", "mother_tongue", "state")


@dataclass
class FileStats:
    """Clips, milliseconds and distinct speakers of one TSV."""

    clips: int = 0
    ms: int = 0
    speakers: set[str] = field(default_factory=set)

    def add(self, speaker: str, duration_ms: int) -> None:
        """Count one clip."""
        self.clips += 1
        self.ms += duration_ms
        self.speakers.add(speaker)

    @property
    def hours(self) -> str:
        """Hours, to two decimals."""
        return f"{self.ms / 3_600_000:.2f}"


@dataclass
class Demographics:
    """Clips and distinct speakers per value of each demographic column (validated clips)."""

    clips: dict[str, Counter[str]] = field(default_factory=dict)
    speakers: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def add(self, fields: list[str], speaker: str) -> None:
        """Count one validated clip's age, gender, mother tongue and state."""
        for name, index in zip(_DIMENSIONS, DEMOGRAPHICS, strict=True):
            value = fields[index] or "not given"
            self.clips.setdefault(name, Counter())[value] += 1
            self.speakers.setdefault(name, {}).setdefault(value, set()).add(speaker)


@dataclass
class Summary:
    """Everything the datasheet reports."""

    language_code: str
    language_name: str
    native_name: str
    exported_at: datetime
    licence: str
    audio: str
    max_per_sentence: int
    speakers_total: int
    demographics_published: bool
    files: dict[str, FileStats]
    plan: SplitPlan
    held_out_reported: int
    reports: int
    missing: int
    demographics: Demographics
    # app.stats.agreement.language_agreement, read in the export's snapshot
    agreement: Agreement = NO_VOTES


def render_readme(summary: Summary) -> str:
    """The datasheet as Markdown."""
    s = summary
    lines = [
        f"# {s.language_name} ({s.native_name}) speech: Crowdsource export, {s.language_code}",
        "",
        f"Exported {s.exported_at:%Y-%m-%d %H:%M} UTC. Licence: **{s.licence}**"
        + (" (public domain dedication)." if s.licence == "CC0-1.0" else "."),
        "",
        "Sentences read aloud by volunteers in their browsers, each recording checked by other "
        "volunteers (Correct / Incorrect). Only recordings accepted by the validators are in "
        "the training splits.",
        "",
        "## Contents",
        "",
        "| File | Clips | Hours | Speakers | What |",
        "|---|---:|---:|---:|---|",
    ]
    what = {
        "validated.tsv": "accepted recordings",
        "invalidated.tsv": "rejected recordings",
        "other.tsv": "recordings still waiting for enough votes",
        "train.tsv": "training split (accepted only)",
        "dev.tsv": "development split (accepted only)",
        "test.tsv": "test split (accepted only)",
    }
    for name in [*STATUS_FILES.values(), *SPLIT_FILES.values()]:
        stats = s.files[name]
        lines.append(
            f"| `{name}` | {stats.clips:,} | {stats.hours} | {len(stats.speakers):,} | "
            f"{what[name]} |"
        )
    lines += [
        "",
        "`reported.tsv` lists the reported sentences as Common Voice does (one row per "
        f"report); `crowdsource_reported.tsv` lists all {s.reports:,} reports on recordings "
        "and sentences (target, reason and number of people; never who reported or their "
        "notes). `clip_durations.tsv` gives every clip's duration in milliseconds. "
        + _audio_sentence(s.audio),
        "",
    ]
    if s.missing:
        lines += [
            f"{s.missing:,} recording(s) whose audio could not be read were left out of every "
            "file.",
            "",
        ]
    lines += _splits(s)
    lines += _demographics(s)
    lines += agreement_section(s.agreement)
    lines += columns_section()
    lines += privacy_section(
        "speaker",
        "Demographics are what speakers chose to give when recording; they are withheld for a "
        f"language with fewer than {MIN_SPEAKERS_FOR_DEMOGRAPHICS} speakers. Do not try to "
        "identify the speakers.",
    )
    lines += INTEGRITY
    return "\n".join(lines)


def privacy_section(person: str, more: str) -> list[str]:
    """How contributors appear (`person`: speaker, transcriber, ...), then `more`."""
    return [
        "## Privacy",
        "",
        f"`client_id` is an HMAC-SHA256 of the contributor's anonymous id keyed with a secret "
        f"salt, cut to {SPEAKER_ID_HEX} hex digits: the same {person} has the same id in every "
        "export made with the same salt, and nobody without the salt can link it to a person "
        "or a browser. No names, e-mail addresses or raw ids are included. " + more,
        "",
    ]


INTEGRITY = [
    "## Integrity",
    "",
    "`SHA256SUMS` holds the SHA-256 of every file; check it with `sha256sum -c SHA256SUMS`.",
    "",
]


def _audio_sentence(audio: str) -> str:
    if audio == "original":
        return (
            "`clips/` holds the audio as uploaded (WebM/Opus, Ogg, MP4, WAV... by browser); "
            "the file extension says which."
        )
    return f"`clips/` holds the audio as 16 kHz mono 16-bit {audio.upper()}."


def _splits(s: Summary) -> list[str]:
    return splits_section(s.plan, SPEAK_WORDS, s.max_per_sentence, s.held_out_reported)


@dataclass(frozen=True)
class SplitWords:
    """How a datasheet names what its splits are made of."""

    things: str  # the contributions: recordings, transcripts, ...
    item: str  # what each was made for, and its plural
    items: str
    made: str  # "the earliest {made}"
    status_file: str  # the file of the accepted ones
    group: str  # what never straddles two splits, and its plural
    groups: str


SPEAK_WORDS = SplitWords(
    "recordings", "sentence", "sentences", "recorded", "validated.tsv", "speaker", "speakers"
)


def splits_section(
    plan: SplitPlan, words: SplitWords, max_per_item: int, held_out: int
) -> list[str]:
    """How the splits were made (splits.py's rule), in `words`, with this export's numbers."""
    sizes, w = plan.sizes(), words
    thing = w.things.removesuffix("s")
    return [
        "## How the splits were made",
        "",
        f"1. Accepted {w.things}, at most {max_per_item} per {w.item} (the earliest "
        f"{w.made}): {plan.eligible:,} {w.things}; {plan.dropped_duplicates:,} further "
        f"{w.things} of the same {w.items} stay in `{w.status_file}` only. "
        f"{held_out:,} accepted {thing}(s) reported by enough people to leave the "
        f"validation queue (or of such a {w.item}) were kept out of the splits.",
        "2. Dev and test each aim at the sample size for a 99 % confidence level and a 1 % "
        "margin of error, with the finite-population correction, taking the training set as "
        f"the population: n0 = z²·p(1−p)/e² ≈ {base_sample_size():,.0f}, "
        "n(T) = ⌈n0 / (1 + (n0 − 1)/T)⌉, with T the largest training size such that "
        f"T + 2·n(T) fits. So dev and test never exceed a third of the {w.things} each. "
        f"Targets here: dev {plan.target_dev:,}, test {plan.target_test:,}.",
        f"3. Whole {w.groups} are assigned, fewest {w.things} first: to test while they fit "
        f"under its target, then to dev, then to train. No {w.group} is in two splits. "
        f"Result: train {sizes['train']:,}, dev {sizes['dev']:,}, test {sizes['test']:,}.",
        "",
    ]


def _demographics(s: Summary) -> list[str]:
    lines = ["## Speakers", ""]
    validated = s.files["validated.tsv"]
    lines.append(
        f"{s.speakers_total:,} people recorded in this language; "
        f"{len(validated.speakers):,} of them have accepted recordings."
    )
    lines.append("")
    if not s.demographics_published:
        lines += [
            f"Demographics are withheld: fewer than {MIN_SPEAKERS_FOR_DEMOGRAPHICS} speakers "
            "recorded in this language, so they could identify someone. The age, gender, "
            "mother tongue and state columns are empty.",
            "",
        ]
        return lines
    if not validated.clips:
        return lines
    lines += [
        "Of the accepted recordings (clips, their share, and distinct speakers):",
        "",
    ]
    for name in _DIMENSIONS:
        counts = s.demographics.clips.get(name, Counter())
        title = name.replace("_", " ")
        lines += [f"| {title} | clips | share | speakers |", "|---|---:|---:|---:|"]
        for value, clips in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            speakers = len(s.demographics.speakers[name][value])
            lines.append(f"| {value} | {clips:,} | {clips / validated.clips:.1%} | {speakers:,} |")
        lines.append("")
    return lines


def agreement_section(agreement: Agreement) -> list[str]:
    """How far the validators agree (figures from app/stats/agreement.py), with what they
    mean and what they rest on."""
    lines = ["## Agreement between validators", ""]
    what = (
        "Only votes that count are used: not the practice answers of new validators, not "
        "answers on clips whose right answer is known (mixed in to check validators), not "
        "the votes of validators whose answers stopped counting. Recordings removed by an "
        "operator are left out; every other recording of the language is in."
    )
    if agreement.undefined == "no_pairs" or agreement.pairwise is None:
        return [
            *lines,
            "No recording had been checked by two validators whose votes count when this "
            "export was made, so their agreement cannot be measured yet. " + what,
            "",
        ]
    a = agreement
    basis = (
        f"{a.votes:,} votes on {a.recordings:,} recordings that at least two people checked, "
        f"by {a.validators:,} validators, when this export was made."
    )
    if a.alpha is None:
        lines.append(
            f"Every one of the {a.votes:,} votes on recordings checked by at least two people "
            f"({a.recordings:,} recordings, {a.validators:,} validators) gave the same "
            "verdict: the validators agree on all of them, but agreement beyond chance "
            "(Krippendorff's alpha) is undefined without any variation. " + what
        )
        return [*lines, ""]
    lines += [
        f"- Krippendorff's alpha (nominal: Correct / Incorrect): **{a.alpha:.3f}**",
        f"- pairs of validators on the same recording who gave the same verdict: "
        f"**{a.pairwise:.1%}** ({a.pairs:,} pairs)",
        f"- based on {basis}",
        "",
        "Alpha measures how often validators agree beyond what chance would give with the "
        "same mix of verdicts: 1 is perfect agreement, 0 is no better than chance, below 0 "
        "is systematic disagreement. Krippendorff suggests relying on data with alpha of "
        "0.800 or more and drawing only tentative conclusions from 0.667 to 0.800 (K. "
        'Krippendorff, Content Analysis: An Introduction to Its Methodology; "Computing '
        "Krippendorff's Alpha-Reliability\", 2011). " + what + " A recording is decided once "
        "enough votes agree, so most have two or three votes.",
        "",
    ]
    return lines


@dataclass
class TaskSheet:
    """What the datasheet of a text task's export (transcribe, translate, label) reports.
    The format says what its files and columns are; the numbers are this export's."""

    title: str  # e.g. "Hindi (हिन्दी) transcripts"
    language_code: str
    exported_at: datetime
    licence: str
    about: str  # what the volunteers did and how it was checked
    files: dict[str, FileStats]  # TSV -> rows (clips) and distinct contributors (speakers)
    what: dict[str, str]  # TSV -> what it holds
    other_files: str  # the media folder and any other file (TMX, JSON lines)
    missing: str  # rows left out because their media could not be read, or ""
    plan: SplitPlan
    words: SplitWords
    max_per_item: int
    held_out: int
    columns: dict[str, str]  # column -> meaning, in the TSVs' order
    person: str  # transcriber, translator, labeller
    contributors: int  # distinct people with a contribution in the export


def render_task_readme(sheet: TaskSheet) -> str:
    """The datasheet of a text task's export as Markdown."""
    s = sheet
    lines = [
        f"# {s.title}: Crowdsource export, {s.language_code}",
        "",
        f"Exported {s.exported_at:%Y-%m-%d %H:%M} UTC. Licence: **{s.licence}**"
        + (" (public domain dedication)." if s.licence == "CC0-1.0" else "."),
        "",
        s.about,
        "",
        "## Contents",
        "",
        "| File | Rows | Contributors | What |",
        "|---|---:|---:|---|",
    ]
    for name, stats in s.files.items():
        lines.append(f"| `{name}` | {stats.clips:,} | {len(stats.speakers):,} | {s.what[name]} |")
    lines += ["", s.other_files, ""]
    if s.missing:
        lines += [s.missing, ""]
    lines += [
        f"{s.contributors:,} people contributed to this export.",
        "",
        "Every contribution carries its verdict (`status`) and the validators' votes "
        "(`up_votes`: Correct, `down_votes`: Incorrect or Needs a change). A validator who "
        "answered Needs a change typed a corrected text: it is a contribution of its own, "
        "validated like any other, whose `corrects` column holds the `id` of the one it "
        "corrects (empty otherwise, or when that one was removed). When the item had a "
        "reference text, the contribution was scored against it before it was submitted: "
        "`score` is the character error rate (`metric` cer: edits per reference character, "
        "0 is identical; jiwer) or chrF (`metric` chrf: character n-gram F-score, 0 to 100, "
        "100 is identical; sacrebleu); `past_threshold` is 1 when the score was past the "
        "language's threshold and the volunteer confirmed it anyway. Both are empty without "
        "a reference.",
        "",
    ]
    lines += splits_section(s.plan, s.words, s.max_per_item, s.held_out)
    lines += ["## Columns", "", "Every TSV above has these columns, in this order:", ""]
    lines += [f"- `{column}`: {meaning}" for column, meaning in s.columns.items()]
    lines += ["", "Empty means not given (or not applicable).", ""]
    lines += privacy_section(s.person, "No demographics are included.")
    lines += INTEGRITY
    return "\n".join(lines)
