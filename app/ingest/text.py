"""Normalising a line of text and deciding whether it may become a sentence of a language.

`normalize` makes the text we store (Unicode NFC, whitespace runs as one space, no byte-order
marks). `SentenceRules.check` returns the reason code of the first rule a normalised text
breaks, or None; the rules are tried in the order of `report.SENTENCE_REASONS`, so a line
refused for digits is not also counted as too long. Scripts are ISO 15924 codes, as in
`languages.script`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

MAX_CHARS = 1000  # dataset_rows.text CHECK
ZWNJ, ZWJ = "\u200c", "\u200d"
# Marks that may appear inside any sentence: ASCII and typographic punctuation, the danda and
# double danda (shared by the Brahmic scripts), and the joiners that shape Indic conjuncts.
COMMON_PUNCTUATION = " .,;:!?'\"()[]-‐‑–—‘’“”…।॥" + ZWNJ + ZWJ

# Unicode blocks of each script used in the languages table (inclusive code point ranges).
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Deva": ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)),  # + Extended, Vedic
    "Beng": ((0x0980, 0x09FF),),
    "Guru": ((0x0A00, 0x0A7F),),
    "Gujr": ((0x0A80, 0x0AFF),),
    "Orya": ((0x0B00, 0x0B7F),),
    "Taml": ((0x0B80, 0x0BFF),),
    "Telu": ((0x0C00, 0x0C7F),),
    "Knda": ((0x0C80, 0x0CFF),),
    "Mlym": ((0x0D00, 0x0D7F),),
    # Arabic, Supplement, Extended-A, Presentation Forms A and B (Urdu, Sindhi, Kashmiri).
    "Arab": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
             (0xFE70, 0xFEFF)),
    "Olck": ((0x1C50, 0x1C7F),),
    "Mtei": ((0xAAE0, 0xAAFF), (0xABC0, 0xABFF)),
    # Letters only: ASCII, Latin-1 (without × and ÷), Extended-A/B, Extended Additional (IAST).
    "Latn": ((0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x00D6), (0x00D8, 0x00F6),
             (0x00F8, 0x024F), (0x1E00, 0x1EFF)),
}  # fmt: skip

# Addresses: a scheme or www., an e-mail, or a dot and a common top-level domain (lower case,
# so "home.In the" is not one). Cheap tests first: most sentences have no '.', '/' or '@'.
_SCHEME = re.compile(r"(?i)(?:https?|ftp)://\S|\bwww\.\S")
_EMAIL = re.compile(r"[\w.+-]@[\w-]+\.\w")
_DOMAIN = re.compile(r"\.(?<=[A-Za-z0-9-]\.)(?:com|org|net|in|gov|edu|io|info|co)\b(?![.-]\w)")


# Invisible format characters (soft hyphen, grapheme joiner, zero-width space/joiners, direction
# marks and embeddings, word joiner and invisible operators, BOM): two texts that differ only by
# these read the same, so they are the same sentence. The class is written once, here, in a form
# that both Python's `re` and PostgreSQL's regular expressions read the same way; migration 0008
# indexes the same expression, `duplicate_key_sql`, which the ingest queries must spell exactly.
INVISIBLE_CLASS = r"[\u00AD\u034F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]"
_INVISIBLE = re.compile(INVISIBLE_CLASS)


def duplicate_key(text: str) -> str:
    """What decides whether a normalised (NFC) text repeats another: the text without its
    invisible format characters. The stored text keeps them (a ZWNJ or ZWJ shapes Indic
    conjuncts and half forms), only the comparison ignores them."""
    return _INVISIBLE.sub("", text) if not text.isascii() else text


def duplicate_key_sql(column: str) -> str:
    """The SQL expression of `duplicate_key` over `column`, as indexed by migration 0008."""
    return f"md5(regexp_replace({column}, '{INVISIBLE_CLASS}', '', 'g'))"


def normalize(text: str) -> str:
    """NFC, byte-order marks dropped, every run of whitespace (NBSP too) one space, trimmed."""
    text = text.replace("\ufeff", "")
    return " ".join(unicodedata.normalize("NFC", text).split())


# The regular expressions below run in C: a million lines take seconds, not minutes.
_DIGIT = re.compile(r"\d")  # any decimal digit in any script (Unicode category Nd)
_NOT_A_WORD = re.compile(r"(?:^| )(?:[^\w ]|_)+(?= |$)")  # a token without letters or digits


def word_count(text: str) -> int:
    """Tokens of a normalised text with at least one letter or digit (a lone dash is no word)."""
    if not text:
        return 0
    return text.count(" ") + 1 - len(_NOT_A_WORD.findall(text))


def has_url(text: str) -> bool:
    """True if `text` holds a web address (scheme, www. or a domain) or an e-mail address."""
    if "." not in text and "/" not in text:
        return False
    if "@" in text and _EMAIL.search(text):
        return True
    if ("://" in text or "www." in text.lower()) and _SCHEME.search(text):
        return True
    return _DOMAIN.search(text) is not None


def has_digits(text: str) -> bool:
    """True if any character is a decimal digit in any script (0-9, ०-९, ০-৯, ٠-٩...)."""
    return _DIGIT.search(text) is not None


class ScriptCheck:
    """Whether every character of a text is allowed for one script (plus common punctuation)."""

    def __init__(self, script: str, *, allow_digits: bool = False) -> None:
        if script not in SCRIPT_RANGES:
            known = ", ".join(sorted(SCRIPT_RANGES))
            raise ValueError(f"no character table for script {script!r} (known: {known})")
        extra = COMMON_PUNCTUATION + ("0123456789" if allow_digits else "")
        ranges = [*SCRIPT_RANGES[script], *((ord(c), ord(c)) for c in extra)]
        allowed = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges)
        self._outside = re.compile(f"[^{allowed}]")

    def allows(self, text: str) -> bool:
        """True if every character of `text` is in the script's table."""
        return self._outside.search(text) is None

    def first_outside(self, text: str) -> str | None:
        """The first character of `text` outside the table, or None."""
        found = self._outside.search(text)
        return found.group() if found else None


@dataclass(frozen=True)
class RuleOptions:
    """The configurable part of the rules, as given on the command line (and stored in the
    batch's `options`)."""

    min_words: int = 1
    max_words: int = 14
    allow_digits: bool = False
    allow_urls: bool = False
    blocklist: str | None = None  # the blocklist file's name, for the record only

    def as_json(self) -> dict[str, Any]:
        """The options as a JSON-ready dict."""
        return asdict(self)


DEFAULT_OPTIONS = RuleOptions()


class SentenceRules:
    """The per-language rules: script, length in words, digits, addresses, blocked words."""

    def __init__(
        self,
        script: str,
        options: RuleOptions = DEFAULT_OPTIONS,
        blocked_words: frozenset[str] = frozenset(),
    ) -> None:
        if options.min_words < 1 or options.max_words < options.min_words:
            raise ValueError("word limits must satisfy 1 <= min_words <= max_words")
        self.options = options
        self._outside_script = ScriptCheck(script, allow_digits=options.allow_digits).first_outside
        self._blocked = Blocklist(blocked_words)

    def check(self, text: str) -> str | None:
        """The reason code of the first rule the normalised `text` breaks, or None if it may be
        added (duplicates are decided by the caller)."""
        if "\ufffd" in text:
            return "bad_encoding"
        if not text:
            return "empty"
        options = self.options
        if not options.allow_urls and has_url(text):
            return "has_url"
        if not options.allow_digits and _DIGIT.search(text):
            return "has_digits"
        if self._outside_script(text):
            return "wrong_script"
        words = word_count(text)
        if words < options.min_words:
            return "too_short"
        if words > options.max_words:
            return "too_long"
        if len(text) > MAX_CHARS:
            return "too_many_chars"
        if self._blocked.matches(text):
            return "blocked_word"
        return None


def words_of(text: str) -> list[str]:
    """The words of a normalised `text`, case-folded, without surrounding punctuation."""
    return [w for w in (token.strip(COMMON_PUNCTUATION).casefold() for token in text.split()) if w]


class Blocklist:
    """Words and phrases that keep a sentence out, matched as whole words, ignoring case."""

    def __init__(self, entries: frozenset[str] = frozenset()) -> None:
        folded = {" ".join(words_of(normalize(entry))) for entry in entries}
        self._words = frozenset(e for e in folded if e and " " not in e)
        self._phrases = tuple(f" {e} " for e in folded if " " in e)

    def __bool__(self) -> bool:
        return bool(self._words or self._phrases)

    def matches(self, text: str) -> bool:
        """True if the normalised `text` contains a blocked word or phrase."""
        if not self:
            return False
        words = words_of(text)
        if not self._words.isdisjoint(words):
            return True
        joined = f" {' '.join(words)} "
        return any(phrase in joined for phrase in self._phrases)


def parse_blocklist(content: str) -> frozenset[str]:
    """Blocked entries from a file's content: one word or phrase a line; blank lines and lines
    starting with `#` are skipped."""
    entries = (normalize(line) for line in content.splitlines())
    return frozenset(e for e in entries if e and not e.startswith("#"))
