"""The rules a volunteer's typed text meets before it is kept (app/tasks/text.py), without a
database: real text in Devanagari, Tamil, Bengali, Urdu and Latin, and the 422 answer a route
gives for a refusal."""

from __future__ import annotations

import csv
import re
import unicodedata
import wave
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import errors_http
from app.errors import CrowdsourceError
from app.ingest.text import SCRIPT_RANGES
from app.tasks.text import (
    MAX_TEXT_CHARS,
    REFUSAL_CODES,
    SCRIPT_NAMES,
    CopyOfSource,
    EmptyText,
    HasUrl,
    TextRefused,
    TooLong,
    TooShort,
    WrongScript,
    allowed_length,
    check_text,
    normalise_text,
)

SAMPLE_AUDIO = Path(__file__).resolve().parents[1] / "data" / "audio"

HINDI = {"script": "Deva", "language_name": "Hindi"}
TAMIL = {"script": "Taml", "language_name": "Tamil"}
BENGALI = {"script": "Beng", "language_name": "Bengali"}
URDU = {"script": "Arab", "language_name": "Urdu"}
ENGLISH = {"script": "Latn", "language_name": "English"}


def label(text: str, language: dict[str, str], **item: Any) -> str:
    return check_text(text, kind="label", **language, **item)


def transcription(text: str, language: dict[str, str], duration_ms: int) -> str:
    return check_text(text, kind="transcription", duration_ms=duration_ms, **language)


def translation(text: str, language: dict[str, str], source: str) -> str:
    return check_text(text, kind="translation", source=source, **language)


# Normalisation: what is stored.


def test_decomposed_input_is_stored_composed() -> None:
    bengali = "\u0995\u09c7\u09be\u09a8"  # ক + ে + া + ন, as some keyboards send "কোন"
    tamil = "\u0b95\u0bc6\u0bbe\u0bb2\u0bcd"  # க + ெ + ா + ல் ("கொல்")
    assert not unicodedata.is_normalized("NFC", bengali)
    assert label(bengali, BENGALI) == "\u0995\u09cb\u09a8"
    assert label(tamil, TAMIL) == "\u0b95\u0bca\u0bb2\u0bcd"
    assert normalise_text("  मेरा\u00a0 \n नाम\t") == "मेरा नाम"


def test_joiners_nukta_virama_and_chandrabindu_are_kept_and_pass() -> None:
    for text in (
        "क्\u200dष",  # ZWJ: the half form
        "क्\u200cष",  # ZWNJ: the explicit virama
        "ज़िंदगी",  # nukta
        "हँसी",  # chandrabindu
        "विद्यालय",  # virama inside a conjunct
    ):
        assert label(text, HINDI) == unicodedata.normalize("NFC", text)
    assert label("ഞാന്\u200d", {"script": "Mlym", "language_name": "Malayalam"}) == "ഞാന്\u200d"


def test_digits_of_any_script_and_the_danda_pass() -> None:
    assert label("२०१९ में 5 लोग आए।", HINDI) == "२०१९ में 5 लोग आए।"
    assert label("১৯৭১ সালে।", BENGALI) == "১৯৭১ সালে।"
    assert label("۱۹۴۷ میں۔", URDU) == "۱۹۴۷ میں۔"
    assert label("₹50 में 20% छूट", HINDI) == "₹50 में 20% छूट"


def test_direction_marks_in_urdu_pass() -> None:
    assert label("نام \u200fہے", URDU) == "نام \u200fہے"


# empty_text


@pytest.mark.parametrize("typed", ["", "   ", "\u200c\u200d", "।", " ... "])
def test_text_without_a_letter_or_digit_is_empty(typed: str) -> None:
    with pytest.raises(EmptyText) as refused:
        label(typed, HINDI)
    assert refused.value.code == "empty_text"
    assert refused.value.message == "Please type the text you see in the image before you submit."


def test_empty_comes_before_every_other_rule() -> None:
    with pytest.raises(EmptyText, match="what you hear"):
        transcription(" ", HINDI, duration_ms=6_000)


# has_url


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("देखें https://example.org/page", HINDI),
        ("மேலும் www.example.in இல்", TAMIL),
        ("লিখুন ravi.kumar@example.com এ", BENGALI),
        ("mail me at ravi@example.com", ENGLISH),
        ("visit example.com today", ENGLISH),
    ],
)
def test_web_and_email_addresses_are_refused(typed: str, language: dict[str, str]) -> None:
    with pytest.raises(HasUrl) as refused:
        label(typed, language)
    assert refused.value.code == "has_url"
    assert "address" in refused.value.message


def test_a_title_with_a_full_stop_is_not_an_address() -> None:
    assert label("Mr. Rao से मिलिए", HINDI) == "Mr. Rao से मिलिए"
    assert label("Dr. Ajay Kumar came home.In the evening", ENGLISH)


def test_an_address_in_latin_letters_is_refused_as_an_address_not_as_the_script() -> None:
    with pytest.raises(HasUrl):
        label("www.example.com", TAMIL)


# wrong_script


@pytest.mark.parametrize(
    ("typed", "language", "message"),
    [
        (
            "வணக்கம் நண்பா",
            HINDI,
            "This doesn't look like Devanagari script. Please type it in Hindi.",
        ),
        ("नमस्ते दोस्त", TAMIL, "This doesn't look like Tamil script. Please type it in Tamil."),
        ("नमस्ते", BENGALI, "This doesn't look like Bengali script. Please type it in Bengali."),
        ("नाम है", URDU, "This doesn't look like Arabic script. Please type it in Urdu."),
        ("मेरा नाम", ENGLISH, "This doesn't look like Latin script. Please type it in English."),
    ],
)
def test_letters_of_another_script_are_refused_in_plain_words(
    typed: str, language: dict[str, str], message: str
) -> None:
    with pytest.raises(WrongScript) as refused:
        label(typed, language)
    assert refused.value.code == "wrong_script"
    assert refused.value.message == message


def test_romanised_typing_is_refused() -> None:
    with pytest.raises(WrongScript):
        transcription("mera naam ravi hai", HINDI, duration_ms=2_000)


def test_english_words_in_an_indian_language_pass_up_to_half_the_letters() -> None:
    assert label("मेरा laptop खराब है", HINDI) == "मेरा laptop खराब है"  # 10 Devanagari to 6
    assert label("कमला abcd", HINDI)  # क म ल ा: 4 to 4, exactly half
    with pytest.raises(WrongScript):
        label("कमला abcde", HINDI)  # 4 to 5


def test_a_symbol_outside_every_table_is_refused() -> None:
    with pytest.raises(WrongScript):
        label("नमस्ते 🙏", HINDI)


def test_every_script_has_a_name_for_the_message() -> None:
    assert set(SCRIPT_NAMES) == set(SCRIPT_RANGES)


# copy_of_source


def test_a_translation_that_is_the_source_again_is_refused() -> None:
    source = "बारिश आने से पहले खिड़की बंद कर दीजिए।"
    marathi = {"script": "Deva", "language_name": "Marathi"}
    for copy in (
        source,
        "बारिश  आने से\u00a0पहले खिड़की बंद कर दीजिए। ",  # spaces
        "बारिश आने\u200b से पहले खिड़की बंद कर दीजिए।",  # a zero-width space
        unicodedata.normalize("NFD", source),  # decomposed nukta
    ):
        with pytest.raises(CopyOfSource) as refused:
            translation(copy, marathi, source=source)
        assert refused.value.code == "copy_of_source"
        assert refused.value.message == (
            "That is the sentence to translate, unchanged. Please write it in Marathi."
        )
    assert translation("पाऊस येण्याआधी खिडकी बंद करा.", marathi, source=source)


def test_a_latin_source_copied_in_another_case_is_a_copy() -> None:
    with pytest.raises(CopyOfSource):
        translation("GOOD MORNING", ENGLISH, source="Good morning")


def test_a_copy_into_another_script_is_refused_for_the_script_first() -> None:
    with pytest.raises(WrongScript):
        translation("सुप्रभात", TAMIL, source="सुप्रभात")


# too_short / too_long: transcriptions


def test_a_six_second_devanagari_clip_takes_21_to_216_characters() -> None:
    assert allowed_length("transcription", "Deva", duration_ms=6_000) == (21, 216)
    assert transcription("क" * 21, HINDI, duration_ms=6_000)
    assert transcription("क" * 216, HINDI, duration_ms=6_000)
    with pytest.raises(TooShort) as short:
        transcription("क" * 20, HINDI, duration_ms=6_000)
    assert short.value.code == "too_short"
    assert short.value.message == (
        "That is very short for a 6-second clip. Please type everything you hear."
    )
    assert (short.value.length, short.value.limit) == (20, 21)
    with pytest.raises(TooLong) as long:
        transcription("क" * 217, HINDI, duration_ms=6_000)
    assert long.value.message == (
        "That is very long for a 6-second clip. Please type only what you hear."
    )


def test_latin_is_read_faster_and_other_scripts_take_the_default_rate() -> None:
    assert allowed_length("transcription", "Latn", duration_ms=2_000) == (8, 87)
    assert allowed_length("transcription", "Taml", duration_ms=1_000) == (3, 36)
    assert allowed_length("transcription", "Arab", duration_ms=10_000) == (36, 360)


def test_the_clip_length_is_said_in_words() -> None:
    for duration_ms, said in [(8_000, "an 8-second clip"), (400, "a 0.4-second clip")]:
        with pytest.raises(TooLong, match=said):
            transcription("த" * 400, TAMIL, duration_ms=duration_ms)
    with pytest.raises(TooShort, match="an 11-second clip"):
        transcription("வணக்கம்", TAMIL, duration_ms=11_000)


def test_the_sample_clips_sentences_fit_their_clips() -> None:
    """The measurement the rates come from: espeak-ng reading the sample sentences."""
    languages = {"hi": HINDI, "en": ENGLISH}
    with (SAMPLE_AUDIO / "clips.tsv").open(encoding="utf-8") as tsv:
        clips = list(csv.DictReader(tsv, delimiter="\t"))
    assert len(clips) == 8
    for clip in clips:
        with wave.open(str(SAMPLE_AUDIO / clip["file"])) as audio:
            duration_ms = round(1000 * audio.getnframes() / audio.getframerate())
        sentence = clip["sentence"]
        assert transcription(sentence, languages[clip["language"]], duration_ms) == sentence
        shortest, longest = allowed_length(
            "transcription", languages[clip["language"]]["script"], duration_ms=duration_ms
        )
        # Well inside the band, not at an edge of it.
        assert 2.5 * shortest < len(sentence) < longest / 2.5


# too_short / too_long: translations and labels


def test_a_translation_takes_a_quarter_to_four_times_its_source() -> None:
    source = "A journey of a thousand miles begins with one step, and then another one."
    assert len(source) == 73
    assert allowed_length("translation", "Deva", source=source) == (18, 292)
    assert translation("क" * 18, HINDI, source=source)
    with pytest.raises(TooShort) as short:
        translation("क" * 17, HINDI, source=source)
    assert short.value.message == (
        "Your translation has 17 characters and the sentence 73: that is very short. "
        "Please translate the whole sentence."
    )
    assert translation("क" * 292, HINDI, source=source)
    with pytest.raises(TooLong, match="293 characters and the sentence 73: that is very long"):
        translation("क" * 293, HINDI, source=source)


def test_a_short_source_allows_a_phrase() -> None:
    assert allowed_length("translation", "Taml", source="Yes.") == (1, 30)
    assert translation("ஆம்", TAMIL, source="Yes.") == "ஆம்"
    assert translation("ஆமாம், நிச்சயமாக அப்படியே", TAMIL, source="Yes.")


def test_a_label_is_at_most_three_times_its_reference() -> None:
    reference = "सड़क बंद है"  # 11 code points in NFC (ड़ is ड + nukta)
    assert allowed_length("label", "Deva", reference=reference) == (1, 33)
    assert label("क" * 33, HINDI, reference=reference)
    with pytest.raises(TooLong) as long:
        label("क" * 34, HINDI, reference=reference)
    assert long.value.message == (
        "That is much longer than the text in the image (11 characters). "
        "Please type only the text you see."
    )
    assert allowed_length("label", "Deva", reference="STOP") == (1, 30)


def test_a_label_without_a_reference_is_held_to_what_the_database_keeps() -> None:
    assert allowed_length("label", "Latn") == (1, MAX_TEXT_CHARS)
    assert label("word " * 399 + "last", ENGLISH)  # 1,999 characters
    with pytest.raises(TooLong) as long:
        label("x" * 2_001, ENGLISH)
    assert long.value.message == "That is 2,001 characters; we can keep at most 2,000."
    with pytest.raises(TooLong):
        transcription("x" * 2_001, ENGLISH, duration_ms=600_000)  # the band would allow it


# What the caller must give, and what a route answers.


def test_an_item_without_what_its_rules_need_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(ValueError, match="duration"):
        check_text("नमस्ते", kind="transcription", **HINDI)
    with pytest.raises(ValueError, match="source"):
        check_text("नमस्ते", kind="translation", **HINDI)
    with pytest.raises(ValueError, match="recording"):
        check_text("नमस्ते", kind="recording", **HINDI)
    with pytest.raises(ValueError, match="Grek"):
        check_text("γεια", kind="label", script="Grek", language_name="Greek")


def test_a_refusal_is_a_422_with_its_code_message_and_field() -> None:
    app = Flask(__name__)
    errors_http.init_app(app)

    @app.post("/label")
    def submit() -> dict[str, str]:
        return {"text": label("hello there", TAMIL)}

    answer = app.test_client().post("/label")
    assert answer.status_code == 422
    assert answer.get_json() == {
        "error": {
            "code": "wrong_script",
            "message": "This doesn't look like Tamil script. Please type it in Tamil.",
            "field": "text",
        }
    }
    assert issubclass(TextRefused, CrowdsourceError)


def test_the_refusal_codes_are_the_stable_six_and_fit_upload_refusals() -> None:
    assert REFUSAL_CODES == (
        "empty_text",
        "has_url",
        "wrong_script",
        "copy_of_source",
        "too_short",
        "too_long",
    )
    assert all(re.fullmatch(r"[a-z_]{1,40}", code) for code in REFUSAL_CODES)
