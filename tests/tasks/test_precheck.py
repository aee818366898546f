"""The pre-check against an item's reference (app/tasks/precheck.py) and its settings, on
known pairs whose scores are worked out by hand."""

from __future__ import annotations

import unicodedata

import pytest

from app.errors import SettingsError
from app.settings import Settings, load_settings
from app.tasks.precheck import Score, measure, score, threshold

DEFAULTS = Settings()


def test_an_identical_text_scores_a_perfect_zero_and_hundred() -> None:
    hindi = "सुबह की रेलगाड़ी विद्यार्थियों से भरी हुई थी।"
    assert score("transcription", hindi, hindi, language="hi", settings=DEFAULTS) == Score(
        metric="cer", value=0.0, past_threshold=False, threshold=0.35
    )
    translated = score("translation", "காலை ரயில்", "காலை ரயில்", language="ta", settings=DEFAULTS)
    assert translated == Score(metric="chrf", value=100.0, past_threshold=False, threshold=30.0)


def test_differences_a_volunteer_cannot_see_cost_nothing() -> None:
    reference = "সকালের ট্রেনটা ভরা ছিল।"
    typed = "  " + unicodedata.normalize("NFD", reference).replace(" ", "\u00a0 ") + "\n"
    assert measure("cer", typed, reference) == 0.0
    assert measure("chrf", typed, reference) == 100.0


def test_a_forgotten_nukta_is_one_edit_in_four() -> None:
    # सड़क in NFC is स ड ़ क (ड़ does not compose); without the nukta, one deletion of four.
    assert measure("cer", "सडक", "सड़क") == 0.25
    # தமிழ் is த ம ி ழ ்: a forgotten virama is one deletion of five.
    assert measure("cer", "தமிழ", "தமிழ்") == 0.2
    # One letter wrong in STOP: one substitution of four.
    assert measure("cer", "ST0P", "STOP") == 0.25


def test_the_error_rate_counts_against_the_reference_and_may_pass_one() -> None:
    assert measure("cer", "", "abc") == 1.0
    assert measure("cer", "abcabcabc", "abc") == 2.0  # six insertions for three characters
    assert measure("cer", "ab", "abc") == round(1 / 3, 4) == 0.3333


def test_unrelated_text_is_past_the_threshold() -> None:
    reference = "मेरी दादी छत पर टमाटर और मिर्च उगाती हैं।"
    typed = "बारिश आने से पहले खिड़की बंद कर दीजिए।"
    transcript = score("transcription", typed, reference, language="hi", settings=DEFAULTS)
    assert transcript is not None
    assert transcript.metric == "cer" and transcript.value > 0.6 and transcript.past_threshold
    translated = score(
        "translation",
        "Please close the window before the rain comes in.",
        "My grandmother grows tomatoes and chillies on her terrace.",
        language="en",
        settings=DEFAULTS,
    )
    assert translated is not None
    assert translated.metric == "chrf" and translated.value < 25 and translated.past_threshold


def test_a_close_translation_is_not_past_the_threshold() -> None:
    translated = score(
        "translation",
        "The morning train to the city was full of pupils.",
        "The morning train to the city was full of students.",
        language="en",
        settings=DEFAULTS,
    )
    assert translated is not None and translated.value > 60 and not translated.past_threshold


def test_a_score_at_the_threshold_is_not_past_it() -> None:
    # STOP typed as ST0P: CER 0.25, the label default.
    at = score("label", "ST0P", "STOP", language="en", settings=DEFAULTS)
    assert at == Score(metric="cer", value=0.25, past_threshold=False, threshold=0.25)
    stricter = load_settings({"PRECHECK_THRESHOLDS": "en:label=0.2"})
    assert score("label", "ST0P", "STOP", language="en", settings=stricter) == Score(
        metric="cer", value=0.25, past_threshold=True, threshold=0.2
    )


def test_no_reference_no_score() -> None:
    for reference in (None, "", "  \n"):
        assert score("label", "STOP", reference, language="en", settings=DEFAULTS) is None


def test_recordings_have_no_precheck() -> None:
    with pytest.raises(ValueError, match="recording"):
        score("recording", "x", "y", language="hi", settings=DEFAULTS)


# Thresholds from settings.


def test_thresholds_default_per_task() -> None:
    settings = load_settings({})
    assert threshold(settings, "transcription", "hi") == 0.35
    assert threshold(settings, "label", "hi") == 0.25
    assert threshold(settings, "translation", "hi") == 30.0


def test_task_defaults_and_per_language_overrides_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "PRECHECK_TRANSCRIBE_CER_MAX": "0.3",
            "PRECHECK_LABEL_CER_MAX": "0.1",
            "PRECHECK_TRANSLATE_CHRF_MIN": "35",
            "PRECHECK_THRESHOLDS": " hi:transcribe=0.4, ta:translate=25,ur:label=0.15,",
        }
    )
    assert settings.precheck_thresholds == (
        ("hi", "transcribe", 0.4),
        ("ta", "translate", 25.0),
        ("ur", "label", 0.15),
    )
    assert threshold(settings, "transcription", "hi") == 0.4
    assert threshold(settings, "transcription", "mr") == 0.3  # another language: the default
    assert threshold(settings, "label", "hi") == 0.1  # another task: the default
    assert threshold(settings, "translation", "ta") == 25.0
    assert threshold(settings, "translation", "hi") == 35.0
    assert threshold(settings, "label", "ur") == 0.15


@pytest.mark.parametrize(
    ("environ", "variable", "problem"),
    [
        (
            {"PRECHECK_THRESHOLDS": "hi-transcribe=0.4"},
            "PRECHECK_THRESHOLDS",
            "'hi-transcribe=0.4' is not LANGUAGE:TASK=VALUE (e.g. hi:transcribe=0.4)",
        ),
        (
            {"PRECHECK_THRESHOLDS": "hi:speak=0.4"},
            "PRECHECK_THRESHOLDS",
            "'hi:speak=0.4': unknown task 'speak' (expected one of: transcribe, translate, label)",
        ),
        (
            {"PRECHECK_THRESHOLDS": "hi:transcribe=40"},
            "PRECHECK_THRESHOLDS",
            "40 is out of range (0-1)",
        ),
        (
            {"PRECHECK_THRESHOLDS": "ta:translate=lots"},
            "PRECHECK_THRESHOLDS",
            "'lots' is not a number",
        ),
        (
            {"PRECHECK_THRESHOLDS": "hi:label=0.2,hi:label=0.3"},
            "PRECHECK_THRESHOLDS",
            "hi:label is given twice",
        ),
        ({"PRECHECK_TRANSCRIBE_CER_MAX": "35%"}, "PRECHECK_TRANSCRIBE_CER_MAX", "not a number"),
        ({"PRECHECK_LABEL_CER_MAX": "nan"}, "PRECHECK_LABEL_CER_MAX", "nan is out of range"),
        (
            {"PRECHECK_TRANSLATE_CHRF_MIN": "101"},
            "PRECHECK_TRANSLATE_CHRF_MIN",
            "101 is out of range (0-100)",
        ),
    ],
)
def test_a_bad_threshold_setting_is_refused_naming_the_variable(
    environ: dict[str, str], variable: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert refused.value.variable == variable
    assert refused.value.message.startswith(f"{variable}: ")
    assert problem in refused.value.message
