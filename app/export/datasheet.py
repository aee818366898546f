"""README.md of an export: a datasheet saying what is in it, how it was split, who spoke it
(in aggregate), how far its validators agree, under which licence, and how to check it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from app.export.commonvoice import AGES, CV_COLUMNS, EXTRA_COLUMNS, GENDERS
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
    lines += _columns()
    lines += [
        "## Privacy",
        "",
        f"`client_id` is an HMAC-SHA256 of the contributor's anonymous id keyed with a secret "
        f"salt, cut to {SPEAKER_ID_HEX} hex digits: the same speaker has the same id in every "
        "export made with the same salt, and nobody without the salt can link it to a person "
        "or a browser. No names, e-mail addresses or raw ids are included. Demographics are "
        f"what speakers chose to give when recording; they are withheld for a language with "
        f"fewer than {MIN_SPEAKERS_FOR_DEMOGRAPHICS} speakers. Do not try to identify the "
        "speakers.",
        "",
        "## Integrity",
        "",
        "`SHA256SUMS` holds the SHA-256 of every file; check it with `sha256sum -c SHA256SUMS`.",
        "",
    ]
    return "\n".join(lines)


def _audio_sentence(audio: str) -> str:
    if audio == "original":
        return (
            "`clips/` holds the audio as uploaded (WebM/Opus, Ogg, MP4, WAV... by browser); "
            "the file extension says which."
        )
    return f"`clips/` holds the audio as 16 kHz mono 16-bit {audio.upper()}."


def _splits(s: Summary) -> list[str]:
    sizes = s.plan.sizes()
    return [
        "## How the splits were made",
        "",
        f"1. Accepted recordings, at most {s.max_per_sentence} per sentence (the earliest "
        f"recorded): {s.plan.eligible:,} recordings; {s.plan.dropped_duplicates:,} further "
        "recordings of the same sentences stay in `validated.tsv` only. "
        f"{s.held_out_reported:,} accepted recording(s) reported by enough people to leave the "
        "validation queue (or of such a sentence) were kept out of the splits.",
        "2. Dev and test each aim at the sample size for a 99 % confidence level and a 1 % "
        "margin of error, with the finite-population correction, taking the training set as "
        f"the population: n0 = z²·p(1−p)/e² ≈ {base_sample_size():,.0f}, "
        "n(T) = ⌈n0 / (1 + (n0 − 1)/T)⌉, with T the largest training size such that "
        "T + 2·n(T) fits. So dev and test never exceed a third of the recordings each. "
        f"Targets here: dev {s.plan.target_dev:,}, test {s.plan.target_test:,}.",
        "3. Whole speakers are assigned, fewest recordings first: to test while they fit under "
        "its target, then to dev, then to train. No speaker is in two splits. "
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


def _columns() -> list[str]:
    cv = {
        "client_id": "the speaker's salted hash (see Privacy)",
        "path": "the clip's file name in `clips/`",
        "sentence_id": "the sentence's id (the same sentence has the same id)",
        "sentence": "the text that was read",
        "sentence_domain": "always empty (sentences carry no domain here)",
        "up_votes": "validators who said Correct",
        "down_votes": "validators who said Incorrect",
        "age": "age group in Common Voice's words (mapping below)",
        "gender": "gender in Common Voice's words (mapping below)",
        "accents": "always empty (not asked; see mother_tongue and state)",
        "variant": "always empty (not asked)",
        "locale": "the language code",
        "segment": "always empty",
    }
    extra = {
        "path": "the clip's file name, as in the files above",
        "status": "accepted, rejected or pending",
        "duration_ms": "the clip's duration in milliseconds",
        "snr_db": "estimated signal-to-noise ratio (WADA-SNR), dB",
        "age_group": "age group as the speaker chose it, e.g. forties",
        "gender": "female, male, transgender, other",
        "mother_tongue": "a language code, or other",
        "state": "state or union territory of India",
    }
    assert tuple(cv) == CV_COLUMNS and tuple(extra) == EXTRA_COLUMNS
    lines = [
        "## Columns",
        "",
        "The recordings TSVs (validated, invalidated, other, train, dev, test) have exactly "
        "Common Voice's columns, in its order, so its loaders read them unchanged "
        "(`pd.read_csv(..., sep='\\t', quoting=3)`, then `clips/` + `path`):",
        "",
    ]
    lines += [f"- `{column}`: {meaning}" for column, meaning in cv.items()]
    ages = ", ".join(f"{ours} → {theirs}" for ours, theirs in AGES.items() if ours != theirs)
    genders = ", ".join(f"{ours} → {theirs}" for ours, theirs in GENDERS.items())
    lines += [
        "",
        f"Ages keep their names except {ages} (Common Voice's spelling). Genders: {genders}; "
        "`other` has no counterpart in Common Voice's current form and is left empty there.",
        "",
        "`crowdsource_extra.tsv` has one row per clip of the three status files, keyed by "
        "`path`, with what Common Voice's layout has no column for:",
        "",
    ]
    lines += [f"- `{column}`: {meaning}" for column, meaning in extra.items()]
    lines += ["", "Empty means not given (or withheld)."]
    return [*lines, ""]
