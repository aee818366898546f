"""The pre-check: how far a volunteer's text is from the item's reference text, if it has one.

Transcriptions and labels are scored by character error rate (`cer`, jiwer: edits per
character of the reference, 0 is identical, lower is better; it can pass 1 when the text is
longer than the reference); translations by chrF (`chrf`, sacrebleu: character n-gram F-score,
0-100, higher is better). Both texts are normalised first (NFC, whitespace), so a difference
the volunteer cannot see costs nothing; characters are Unicode code points, so a forgotten
nukta is one edit.

Past the threshold of the task in the item's language (settings: PRECHECK_TRANSCRIBE_CER_MAX,
PRECHECK_LABEL_CER_MAX, PRECHECK_TRANSLATE_CHRF_MIN, overridden per language and task by
PRECHECK_THRESHOLDS), the volunteer is asked to confirm. What `score` returns is what the
contribution stores: `reference_score` (real, >= 0), `reference_metric` ('cer' | 'chrf') and
`past_threshold`. The defaults and where they come from are in docs/text-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import jiwer
import sacrebleu

from app.settings import Settings
from app.tasks.text import normalise_text

# contributions.kind -> (the task's name in settings, the metric)
_SCORED: dict[str, tuple[str, str]] = {
    "transcription": ("transcribe", "cer"),
    "label": ("label", "cer"),
    "translation": ("translate", "chrf"),
}


@dataclass(frozen=True)
class Score:
    """A text's distance from its reference, as stored on the contribution."""

    metric: str  # cer | chrf
    value: float  # rounded to 4 decimals; what is stored and shown
    past_threshold: bool  # cer above the threshold, or chrf below it
    threshold: float  # the threshold it was compared with (for the message)


def threshold(settings: Settings, kind: str, language: str) -> float:
    """The pre-check threshold for contributions of `kind` in `language`: the language's
    override in PRECHECK_THRESHOLDS, else the task's default. Raises ValueError for a kind
    without a pre-check (recordings)."""
    task, _ = _scored(kind)
    for override_language, override_task, value in settings.precheck_thresholds:
        if (override_language, override_task) == (language, task):
            return value
    defaults = {
        "transcribe": settings.precheck_transcribe_cer_max,
        "label": settings.precheck_label_cer_max,
        "translate": settings.precheck_translate_chrf_min,
    }
    return defaults[task]


def score(
    kind: str, text: str, reference: str | None, *, language: str, settings: Settings
) -> Score | None:
    """How far `text`, a contribution of `kind` in `language`, is from the item's
    `reference`; None when there is no reference (or it is blank). Raises ValueError for a
    kind without a pre-check."""
    _, metric = _scored(kind)
    if reference is None or not normalise_text(reference):
        return None
    value = measure(metric, text, reference)
    limit = threshold(settings, kind, language)
    past = value > limit if metric == "cer" else value < limit
    return Score(metric=metric, value=value, past_threshold=past, threshold=limit)


def measure(metric: str, text: str, reference: str) -> float:
    """`metric` (cer or chrf) of `text` against a non-blank `reference`, both normalised,
    rounded to 4 decimals."""
    hypothesis, reference = normalise_text(text), normalise_text(reference)
    if metric == "cer":
        value = float(jiwer.cer(reference=reference, hypothesis=hypothesis))
    elif metric == "chrf":
        value = float(sacrebleu.sentence_chrf(hypothesis, [reference]).score)
    else:
        raise ValueError(f"unknown metric {metric!r} (expected cer or chrf)")
    return round(value, 4)


def _scored(kind: str) -> tuple[str, str]:
    try:
        return _SCORED[kind]
    except KeyError:
        raise ValueError(f"no pre-check for contributions of kind {kind!r}") from None
