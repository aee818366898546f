"""Normalisation and the per-language sentence rules, without a database."""

from __future__ import annotations

import unicodedata

import pytest

from app.ingest.report import REASONS, SENTENCE_REASONS
from app.ingest.text import (
    SCRIPT_RANGES,
    RuleOptions,
    ScriptCheck,
    SentenceRules,
    has_url,
    normalize,
    parse_blocklist,
    word_count,
)
from tests.ingest.synthetic import sentences


def test_normalize_composes_nfc_collapses_whitespace_and_drops_byte_order_marks() -> None:
    decomposed = "\u0b95\u0bc6\u0bbe" + "\u00a0 \t text\ufeff "  # க + ெ + ா
    assert not unicodedata.is_normalized("NFC", decomposed)
    assert normalize("\ufeff " + decomposed) == "\u0b95\u0bca text"  # கொ


def test_every_script_of_the_languages_table_has_a_character_table(db) -> None:
    languages = db.execute("SELECT code, script, native_name FROM languages").fetchall()
    for language in languages:
        assert language["script"] in SCRIPT_RANGES
        # Each language's own name is written in its script.
        assert ScriptCheck(language["script"]).allows(normalize(language["native_name"]))


@pytest.mark.parametrize(
    ("script", "good", "bad"),
    [
        ("Deva", "भारत का पहला, ‘देशी’ बाग़ान।", "भारत India"),
        ("Latn", "Café “quoted” — it’s fine.", "hello नमस्ते"),
        ("Beng", "আমি দেখতে পাচ্ছি।", "আমি देख"),
        ("Taml", "நான் காண்கிறேன்.", "நான் saw"),
        ("Mlym", "ശ്രീപദ്\u200c നായിക്\u200c", "ശ്രീപദ് x"),
        ("Arab", "اردو زبان، ٹھیک ہے۔", "اردو ok"),
        ("Olck", "ᱥᱟᱱᱛᱟᱲᱤ", "ᱥᱟᱱᱛᱟᱲᱤ अ"),
        ("Mtei", "ꯃꯤꯇꯩꯂꯣꯟ", "ꯃꯤꯇꯩ a"),
    ],
)
def test_script_check_allows_the_script_punctuation_and_joiners_only(
    script: str, good: str, bad: str
) -> None:
    check = ScriptCheck(script)
    assert check.allows(good)
    assert not check.allows(bad)


def test_rules_are_tried_in_the_documented_order_and_give_one_reason() -> None:
    rules = SentenceRules("Latn", RuleOptions(max_words=3), frozenset({"darn"}))
    assert rules.check("") == "empty"
    assert rules.check("broken \ufffd text") == "bad_encoding"
    assert rules.check("see www.example.org for 25 more") == "has_url"  # also digits, too long
    assert rules.check("India won in 2011 against them all") == "has_digits"  # also too long
    assert rules.check("India won ३") == "has_digits"  # Devanagari digits are digits too
    assert rules.check("Ça va, नमस्ते") == "wrong_script"
    assert rules.check("– ...") == "too_short"  # punctuation alone is no word
    assert rules.check("one two three four") == "too_long"
    assert rules.check("Darn, it rained") == "blocked_word"
    assert rules.check("It rained, again.") is None
    assert list(SENTENCE_REASONS)[:9] == [
        "bad_encoding",
        "empty",
        "has_url",
        "has_digits",
        "wrong_script",
        "too_short",
        "too_long",
        "too_many_chars",
        "blocked_word",
    ]


def test_digits_and_addresses_can_be_allowed() -> None:
    rules = SentenceRules("Latn", RuleOptions(allow_digits=True, allow_urls=True))
    assert rules.check("Visit example.com in 2024") is None
    assert SentenceRules("Deva", RuleOptions(allow_digits=True)).check("साल २०२४ में") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://x.in/a", True),
        ("write to me@mail.example", True),
        ("go to digilocker.gov.in today", True),
        ("www.indiapost.gov.in", True),
        ("Rs.780 crore", False),
        ("I went home.In the morning", False),
        ("He is in.", False),
        ("यह भारत है।", False),
    ],
)
def test_addresses_are_recognised(text: str, expected: bool) -> None:
    assert has_url(text) is expected


def test_words_are_tokens_with_a_letter_or_digit() -> None:
    assert word_count("नरवाने , जनरल – एम.") == 3
    assert word_count("") == 0


def test_blocklist_matches_whole_words_and_phrases_ignoring_case() -> None:
    blocked = parse_blocklist("# comments and blank lines are skipped\n\nDarn\nbad luck\n")
    rules = SentenceRules("Latn", blocked_words=blocked)
    assert rules.check("Well, DARN!") == "blocked_word"
    assert rules.check("Such bad luck today") == "blocked_word"
    assert rules.check("Darning socks is bad for luck") is None


def test_synthetic_benchmark_sentences_are_all_valid_and_distinct() -> None:
    rules = SentenceRules("Deva")
    made = list(sentences(20_000))
    assert len(set(made)) == len(made)
    assert all(rules.check(normalize(s)) is None for s in made)
    assert {word_count(s) for s in made} == set(range(3, 13))


def test_every_reason_has_a_label() -> None:
    assert all(label and code.islower() for code, label in REASONS.items())
