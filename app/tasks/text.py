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

The refusals' messages are `Text` (app/i18n/text.py): English wherever they are read as a
`str`, translated into the reader's language in an HTTP answer. A typed refusal is answered,
never stored. Numbers in them are passed already grouped the English way ("2,001").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from functools import cache

from app.errors import CrowdsourceError
from app.i18n.text import Text
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
# Each is a message of its own, translated into the reader's language with the sentence.
SCRIPT_NAMES: dict[str, str] = {
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Deva": Text("Devanagari"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Beng": Text("Bengali"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Guru": Text("Gurmukhi"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Gujr": Text("Gujarati"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Orya": Text("Odia"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Taml": Text("Tamil"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Telu": Text("Telugu"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Knda": Text("Kannada"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Mlym": Text("Malayalam"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Arab": Text("Arabic"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Olck": Text("Ol Chiki"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Mtei": Text("Meetei Mayek"),
    # Translators: the name of a writing system, in "This doesn't look like {script} script."
    "Latn": Text("Latin"),
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
            Text(
                "That looks like a web or e-mail address. Please leave addresses out, "
                "and type only the words."
            )
        )
    if not in_script(text, script):
        raise WrongScript(
            # Translators: {script} is a writing system's name (Devanagari, Tamil...), {language}
            # the name of the language the text is typed in.
            Text(
                "This doesn't look like {script} script. Please type it in {language}.",
                script=SCRIPT_NAMES[script],
                language=language_name,
            )
        )
    if source is not None and _same_text(text, source):
        raise CopyOfSource(
            # Translators: {language} is the name of the language to translate into.
            Text(
                "That is the sentence to translate, unchanged. Please write it in {language}.",
                language=language_name,
            )
        )
    _check_length(text, kind, script, duration_ms, reference, source)
    return text


_EMPTY = {
    "transcription": Text("Please type what you hear in the clip before you submit."),
    "translation": Text("Please type your translation before you submit."),
    "label": Text("Please type the text you see in the image before you submit."),
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
            # Translators: {length} and {limit} are numbers of characters.
            Text(
                "That is {length} characters; we can keep at most {limit}.",
                length=format(length, ","),
                limit=format(MAX_TEXT_CHARS, ","),
            ),
            length=length,
            limit=MAX_TEXT_CHARS,
        )
    if shortest <= length <= longest:
        return
    short = length < shortest
    limit = shortest if short else longest
    message: Text
    if kind == "transcription":
        seconds, an = _clip_seconds(duration_ms or 0)
        message = _CLIP_MESSAGES[short, an](seconds)
    elif kind == "translation":
        counts = {
            "length": format(length, ","),
            "sentence": format(len(normalise_text(source or "")), ","),
        }
        message = (
            # Translators: {length} is the number of characters of the volunteer's
            # translation, {sentence} that of the sentence to translate.
            Text(
                "Your translation has {length} characters and the sentence {sentence}: "
                "that is very short. Please translate the whole sentence.",
                **counts,
            )
            if short
            # Translators: {length} is the number of characters of the volunteer's
            # translation, {sentence} that of the sentence to translate.
            else Text(
                "Your translation has {length} characters and the sentence {sentence}: "
                "that is very long. Please translate just this sentence.",
                **counts,
            )
        )
    else:
        # Translators: {length} is the number of characters of the text shown in the image.
        message = Text(
            "That is much longer than the text in the image ({length} characters). "
            "Please type only the text you see.",
            length=format(len(normalise_text(reference or "")), ","),
        )
    raise (TooShort if short else TooLong)(message, length=length, limit=limit)


def _clip_seconds(duration_ms: int) -> tuple[str, bool]:
    """The clip's length in seconds as a message says it ("6", "8", "0.4": tenths below 10
    seconds), and whether English says "an" before it ("an 8-second clip")."""
    if duration_ms >= 9_950:
        seconds = str(round(duration_ms / 1000))
    else:
        tenths = round(duration_ms / 100)
        seconds = str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    whole = seconds.split(".")[0]
    return seconds, whole.startswith("8") or whole in ("11", "18")


# (too short, "an") -> the message of a transcription's length: whole sentences, the English
# article chosen by the number (translators translate the "a" and "an" forms alike).
_CLIP_MESSAGES: dict[tuple[bool, bool], Callable[[str], Text]] = {
    # Translators: {seconds} is the clip's length in seconds (6, 0.4). The "a" and "an"
    # forms of this message differ only in English.
    (True, False): lambda seconds: Text(
        "That is very short for a {seconds}-second clip. Please type everything you hear.",
        seconds=seconds,
    ),
    # Translators: {seconds} is the clip's length in seconds (8, 11). The "a" and "an"
    # forms of this message differ only in English.
    (True, True): lambda seconds: Text(
        "That is very short for an {seconds}-second clip. Please type everything you hear.",
        seconds=seconds,
    ),
    # Translators: {seconds} is the clip's length in seconds (6, 0.4). The "a" and "an"
    # forms of this message differ only in English.
    (False, False): lambda seconds: Text(
        "That is very long for a {seconds}-second clip. Please type only what you hear.",
        seconds=seconds,
    ),
    # Translators: {seconds} is the clip's length in seconds (8, 11). The "a" and "an"
    # forms of this message differ only in English.
    (False, True): lambda seconds: Text(
        "That is very long for an {seconds}-second clip. Please type only what you hear.",
        seconds=seconds,
    ),
}
