"""The published layout: Common Voice's own columns and vocabulary, our extra columns apart.

Common Voice's clip TSVs (validated, invalidated, other, train, dev, test) have, since Corpus
17.0, exactly the columns of CV_COLUMNS in that order (datasets/scripted-speech/README.md of
github.com/common-voice/cv-dataset). `path` is a bare file name: loaders join it to `clips/`.
Ages and genders use the vocabulary of Common Voice's profile form
(web/src/stores/demographics.ts of github.com/common-voice/common-voice): `fourties` (sic),
`male_masculine`, `female_feminine`, `transgender`. What has no counterpart there is left
empty in the Common Voice files and given as we store it in crowdsource_extra.tsv.
"""

from __future__ import annotations

from pathlib import Path

from app.export.writer import PART_COLUMNS, tsv

CV_COLUMNS = (
    "client_id",
    "path",
    "sentence_id",
    "sentence",
    "sentence_domain",
    "up_votes",
    "down_votes",
    "age",
    "gender",
    "accents",
    "variant",
    "locale",
    "segment",
)
# Ours, one row per published clip, keyed by the same bare `path`.
EXTRA_COLUMNS = (
    "path",
    "status",
    "duration_ms",
    "snr_db",
    "age_group",
    "gender",
    "mother_tongue",
    "state",
)
EXTRA_FILE = "crowdsource_extra.tsv"
# Common Voice's reported.tsv: reported sentences only, one row per report.
CV_REPORTED_COLUMNS = ("sentence_id", "sentence", "locale", "reason")
# Ours: reports on recordings and sentences, one row per target and reason, with the count.
EXTRA_REPORTED_COLUMNS = (
    "target",
    "sentence_id",
    "sentence",
    "path",
    "client_id",
    "reason",
    "reports",
)
EXTRA_REPORTED_FILE = "crowdsource_reported.tsv"

AGES = {  # ours -> Common Voice's (their spelling of forties is `fourties`)
    "teens": "teens",
    "twenties": "twenties",
    "thirties": "thirties",
    "forties": "fourties",
    "fifties": "fifties",
    "sixties": "sixties",
    "seventies": "seventies",
    "eighties": "eighties",
    "nineties": "nineties",
}
GENDERS = {  # ours -> Common Voice's; `other` has no counterpart in the current form
    "female": "female_feminine",
    "male": "male_masculine",
    "transgender": "transgender",
}
REASONS = {  # our sentence report reasons -> Common Voice's; others are kept as ours
    "offensive": "offensive-language",
    "grammar_or_spelling": "grammar-or-spelling",
    "wrong_language": "different-language",
}


def file_name(path: str) -> str:
    """`clips/<name>` (where the export keeps the clip) -> `<name>` (what the TSVs say)."""
    return path.rsplit("/", 1)[-1]


def cv_fields(part: list[str]) -> list[str]:
    """A part-file row (writer.PART_COLUMNS) as a clip row in CV_COLUMNS order."""
    row = dict(zip(PART_COLUMNS, part, strict=False))
    return [
        row["client_id"],
        file_name(row["path"]),
        row["sentence_id"],
        row["sentence"],
        "",  # sentence_domain: our sentences carry no domain
        row["up_votes"],
        row["down_votes"],
        AGES.get(row["age"], ""),
        GENDERS.get(row["gender"], ""),
        "",  # accents: not asked (mother tongue and state are in crowdsource_extra.tsv)
        "",  # variant: not asked
        row["locale"],
        "",  # segment: no custom segment
    ]


def extra_fields(part: list[str], status: str) -> list[str]:
    """A part-file row as a row of crowdsource_extra.tsv (EXTRA_COLUMNS)."""
    row = dict(zip(PART_COLUMNS, part, strict=False))
    return [
        file_name(row["path"]),
        status,
        row["duration_ms"],
        row["snr_db"],
        row["age"],
        row["gender"],
        row["mother_tongue"],
        row["state"],
    ]


def cv_reported_rows(
    sentence_id: str, sentence: str, locale: str, reason: str, reports: int
) -> list[list[str]]:
    """One reported.tsv row per report of a sentence (Common Voice lists reports one by one)."""
    row = [sentence_id, sentence, locale, REASONS.get(reason, reason)]
    return [list(row) for _ in range(reports)]


def write_reports(out: Path, reports: list[list[str]], missing: set[str], locale: str) -> int:
    """reported.tsv (Common Voice's: reported sentences, one row per report) and
    crowdsource_reported.tsv (ours: recordings too, counted); returns reported.tsv's rows."""
    rows = 0
    with (
        tsv(out / "reported.tsv", CV_REPORTED_COLUMNS) as cv,
        tsv(out / EXTRA_REPORTED_FILE, EXTRA_REPORTED_COLUMNS) as ours,
    ):
        for target, sentence_id, sentence, path, *rest in reports:
            path = "" if not path or path in missing else file_name(path)
            ours([target, sentence_id, sentence, path, *rest])
            if target == "sentence":
                reason, count = rest[1], int(rest[2])
                for row in cv_reported_rows(sentence_id, sentence, locale, reason, count):
                    cv(row)
                    rows += 1
    return rows


def columns_section() -> list[str]:
    """The datasheet's section on the columns: Common Voice's, the mappings, ours."""
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
