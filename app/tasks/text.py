"""What a volunteer's typed text (a transcription, translation or label) must be to be kept.

`check_text` normalises the text and tries the rules in a fixed order, raising the first one
broken as a `TextRefused` (HTTP 422, a stable `code`, a message for the volunteer). The rules,
their numbers and where the numbers come from are in docs/text-rules.md; in short:

1. `empty_text`: no letter or digit at all (spaces, punctuation and joiners are not text).
2. `has_url`: a web or e-mail address (app.ingest.text.has_url, as for sentences).
3. `wrong_script`: a letter of a third script, or fewer than half the letters in the language's
   script. Latin letters are the one exception allowed, up to half: transcripts of Indian speech
   hold English words ("मेरा laptop खराब है"), and labels show brand names. Digits of any
   script, common punctuation (danda too), ZWJ/ZWNJ, invisible format marks (direction marks in
   Urdu) and a few symbols seen on signs and prices are neutral: neither in nor out.
4. `copy_of_source`: a translation that is its source again, compared by `duplicate_key`
   (invisible characters ignored) and case-folded (Latin sources copied in another case).
5. `too_short` / `too_long`: every text fits contributions.text (2,000 characters). Then:
   a transcription's length against its clip's duration, 0.3x to 3x the characters per second
   measured for the script; a translation's against its source's, 0.25x to 4x (at least 30
   characters allowed); a label's against its reference, at most 3x (at least 30), and only
   the 2,000 limit without one. A label is too short only when empty.

Lengths are Unicode code points of the NFC text, spaces included: what the speech rates were
measured in. Scripts are ISO 15924 codes, as in `languages.script`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

from app.errors import CrowdsourceError
from app.ingest.text import (
    COMMON_PUNCTUATION,
    INVISIBLE_CLASS,
    SCRIPT_RANGES,
    ScriptCheck,
    duplicate_key,
    has_url,
    normalize,
)

KINDS = ("transcription", "translation", "label")  # contributions.kind of text
MAX_TEXT_CHARS = 2000  # contributions.text CHECK (char_length BETWEEN 1 AND 2000)

# The script of each language, as a volunteer knows it ("This doesn't look like Tamil script").
SCRIPT_NAMES: dict[str, str] = {
    "Deva": "Devanagari",
    "Beng": "Bengali",
    "Guru": "Gurmukhi",
    "Gujr": "Gujarati",
    "Orya": "Odia",
    "Taml": "Tamil",
    "Telu": "Telugu",
    "Knda": "Kannada",
    "Mlym": "Malayalam",
    "Arab": "Arabic",
    "Olck": "Ol Chiki",
    "Mtei": "Meetei Mayek",
    "Latn": "Latin",
}

# At least this share of the letters (code points, vowel signs included) in the language's
# script; the rest may be Latin. Romanised typing ("mera naam") has none, so any number well
# above zero catches it; half still lets a code-mixed sentence through: "मेरा laptop खराब है"
# is 10 Devanagari code points to 6 Latin (62 %).
MIN_SCRIPT_SHARE = 0.5
# Neutral marks beyond COMMON_PUNCTUATION: what prices, dates and signs in images hold.
TEXT_SYMBOLS = "%&+/=₹°#*"

# Transcriptions: characters per second of a clip (whole clip, silences included), measured on
# tests/data/audio (espeak-ng reading the sample sentences at its default 175 words a
# minute, close to a reading pace; how, in docs/text-rules.md):
#   Devanagari, hi_1-4: 48-74 characters in 3.95-6.22 s, 11.9-12.2 per second;
#   Latin, en_1-4: 40-70 characters in 2.94-5.07 s, 13.6-15.5 per second.
# Other scripts have no clips yet and take Devanagari's rate: the same sentence in Tamil,
# Bengali, Telugu and Malayalam is 1.01-1.18 times as many characters as in Hindi (median over
# the three rows of parallel_6_languages.csv), well inside the band below.
CHARS_PER_SECOND: dict[str, float] = {"Deva": 12.0, "Latn": 14.5}
DEFAULT_CHARS_PER_SECOND = 12.0
# The band around the typical rate: generous, because people read slower or faster than a
# synthetic voice, clips hold pauses, and transcripts write numbers as digits or as words.
SLOWEST_RATE, FASTEST_RATE = 0.3, 3.0

# Translations: characters of the translation per character of the source. The 90 ordered
# pairs of the parallel sample range 0.38-2.60 (median 1.0; the extremes are translations that
# leave part of the sentence out); the band allows more on both sides.
SHORTEST_TRANSLATION, LONGEST_TRANSLATION = 0.25, 4.0
# A short source ("Yes.", a name) may need a phrase to translate.
TRANSLATION_MAX_FLOOR = 30

# Labels: the text typed from an image against the image's reference text, when there is one.
LABEL_REFERENCE_FACTOR = 3.0
LABEL_MAX_FLOOR = 30

_INVISIBLE = re.compile(INVISIBLE_CLASS)


class TextRefused(CrowdsourceError):
    """Typed text that we will not keep; each subclass is one rule, with its own `code`. The
    message is for the volunteer; `field` is "text" for forms that show it beside the box."""

    code = "text_refused"
    http_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message, field="text")


class EmptyText(TextRefused):
    """No letter or digit at all."""

    code = "empty_text"


class HasUrl(TextRefused):
    """A web or e-mail address."""

    code = "has_url"


class WrongScript(TextRefused):
    """Letters of a third script, or too few in the language's own."""

    code = "wrong_script"


class CopyOfSource(TextRefused):
    """A translation that is its source again."""

    code = "copy_of_source"


class TooShort(TextRefused):
    """Shorter than `limit` characters (the fewest allowed); `length` is the text's."""

    code = "too_short"

    def __init__(self, message: str, *, length: int, limit: int) -> None:
        super().__init__(message)
        self.length, self.limit = length, limit


class TooLong(TextRefused):
    """Longer than `limit` characters (the most allowed); `length` is the text's."""

    code = "too_long"

    def __init__(self, message: str, *, length: int, limit: int) -> None:
        super().__init__(message)
        self.length, self.limit = length, limit


# Every code a text refusal can have, in the order the rules are tried (upload_refusals keeps it).
REFUSAL_CODES = tuple(
    refusal.code for refusal in (EmptyText, HasUrl, WrongScript, CopyOfSource, TooShort, TooLong)
)


def normalise_text(raw: str) -> str:
    """The text as we store it: NFC, every run of whitespace one space, trimmed."""
    return normalize(raw)


def check_text(
    text: str,
    *,
    script: str,
    language_name: str,
    kind: str,
    duration_ms: int | None = None,
    reference: str | None = None,
    source: str | None = None,
) -> str:
    """The normalised `text` of a contribution of `kind` (transcription, translation, label) in
    a language written in `script` (ISO 15924) called `language_name`; raises the TextRefused
    of the first rule it breaks (see the module's docstring).

    What the item gives: a transcription needs its clip's `duration_ms`, a translation its
    `source` text; a label's `reference` is optional. Missing ones raise ValueError (a bug in
    the caller, not the volunteer's fault), as do an unknown kind or script.
    """
    if kind not in KINDS:
        raise ValueError(f"not a text contribution: {kind!r} (expected one of {KINDS})")
    if script not in SCRIPT_RANGES:
        raise ValueError(f"no character table for script {script!r}")
    if kind == "transcription" and (duration_ms is None or duration_ms <= 0):
        raise ValueError("a transcription is checked against its clip's duration_ms")
    if kind == "translation" and source is None:
        raise ValueError("a translation is checked against its source")

    text = normalise_text(text)
    if not any(ch.isalnum() for ch in text):
        raise EmptyText(_EMPTY[kind])
    if has_url(text):
        raise HasUrl(
            "That looks like a web or e-mail address. Please leave addresses out, "
            "and type only the words."
        )
    if not in_script(text, script):
        name = SCRIPT_NAMES[script]
        raise WrongScript(
            f"This doesn't look like {name} script. Please type it in {language_name}."
        )
    if source is not None and _same_text(text, source):
        raise CopyOfSource(
            f"That is the sentence to translate, unchanged. Please write it in {language_name}."
        )
    _check_length(text, kind, script, duration_ms, reference, source)
    return text


_EMPTY = {
    "transcription": "Please type what you hear in the clip before you submit.",
    "translation": "Please type your translation before you submit.",
    "label": "Please type the text you see in the image before you submit.",
}


def in_script(text: str, script: str) -> bool:
    """True if every letter of `text` is in `script` or Latin, and at least MIN_SCRIPT_SHARE
    of them are in `script`. Digits of any script, COMMON_PUNCTUATION (ZWJ/ZWNJ, danda),
    TEXT_SYMBOLS, spaces and invisible format marks are not letters. A text without letters
    is in every script."""
    own, latin = _check_for(script), _check_for("Latn")
    in_own = in_latin = 0
    for ch in text:
        if ch == " " or ch in COMMON_PUNCTUATION or ch in TEXT_SYMBOLS or _is_neutral(ch):
            continue
        if own.allows(ch):
            in_own += 1
        elif latin.allows(ch):
            in_latin += 1
        else:
            return False
    letters = in_own + in_latin
    return letters == 0 or in_own >= MIN_SCRIPT_SHARE * letters


def _is_neutral(ch: str) -> bool:
    """A digit of any script, or an invisible format character (direction marks, ZWSP...)."""
    return unicodedata.category(ch) == "Nd" or _INVISIBLE.fullmatch(ch) is not None


@cache
def _check_for(script: str) -> ScriptCheck:
    return ScriptCheck(script)


def _same_text(text: str, source: str) -> bool:
    """Whether `text` repeats `source`: invisible characters and case do not count."""
    return duplicate_key(text).casefold() == duplicate_key(normalise_text(source)).casefold()


def allowed_length(
    kind: str,
    script: str,
    *,
    duration_ms: int | None = None,
    reference: str | None = None,
    source: str | None = None,
) -> tuple[int, int]:
    """The fewest and most characters a text of `kind` may have for this item (see the
    module's docstring); never below 1 or above MAX_TEXT_CHARS."""
    shortest, longest = 1, MAX_TEXT_CHARS
    if kind == "transcription" and duration_ms is not None:
        rate = CHARS_PER_SECOND.get(script, DEFAULT_CHARS_PER_SECOND)
        seconds = duration_ms / 1000
        shortest = _floor(seconds * rate * SLOWEST_RATE)
        longest = _ceil(seconds * rate * FASTEST_RATE)
    elif kind == "translation" and source is not None:
        chars = len(normalise_text(source))
        shortest = _floor(chars * SHORTEST_TRANSLATION)
        longest = max(_ceil(chars * LONGEST_TRANSLATION), TRANSLATION_MAX_FLOOR)
    elif kind == "label" and reference:
        chars = len(normalise_text(reference))
        longest = max(_ceil(chars * LABEL_REFERENCE_FACTOR), LABEL_MAX_FLOOR)
    return max(shortest, 1), min(longest, MAX_TEXT_CHARS)


# Products of decimal factors land a hair off whole numbers (6 * 12.0 * 3.0 is 216.00000000000003):
# rounded first, so a limit is the number the docs compute by hand.
def _floor(x: float) -> int:
    return math.floor(round(x, 6))


def _ceil(x: float) -> int:
    return math.ceil(round(x, 6))


def _check_length(
    text: str,
    kind: str,
    script: str,
    duration_ms: int | None,
    reference: str | None,
    source: str | None,
) -> None:
    length = len(text)
    shortest, longest = allowed_length(
        kind, script, duration_ms=duration_ms, reference=reference, source=source
    )
    if length > MAX_TEXT_CHARS:
        raise TooLong(
            f"That is {length:,} characters; we can keep at most {MAX_TEXT_CHARS:,}.",
            length=length,
            limit=MAX_TEXT_CHARS,
        )
    if shortest <= length <= longest:
        return
    short = length < shortest
    limit = shortest if short else longest
    if kind == "transcription":
        clip = _a_clip(duration_ms or 0)
        message = (
            f"That is very short for {clip}. Please type everything you hear."
            if short
            else f"That is very long for {clip}. Please type only what you hear."
        )
    elif kind == "translation":
        sentence = len(normalise_text(source or ""))
        message = f"Your translation has {length:,} characters and the sentence {sentence:,}: " + (
            "that is very short. Please translate the whole sentence."
            if short
            else "that is very long. Please translate just this sentence."
        )
    else:
        shown = len(normalise_text(reference or ""))
        message = (
            f"That is much longer than the text in the image ({shown:,} characters). "
            "Please type only the text you see."
        )
    raise (TooShort if short else TooLong)(message, length=length, limit=limit)


def _a_clip(duration_ms: int) -> str:
    """The clip's length as a message says it: "a 6-second clip", "an 8-second clip",
    "a 0.4-second clip" (tenths below 10 seconds)."""
    if duration_ms >= 9_950:
        seconds = str(round(duration_ms / 1000))
    else:
        tenths = round(duration_ms / 100)
        seconds = str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    whole = seconds.split(".")[0]
    article = "an" if whole.startswith("8") or whole in ("11", "18") else "a"
    return f"{article} {seconds}-second clip"
