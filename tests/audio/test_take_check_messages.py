"""The speak page's own check of a take (app/web/static/js/take-check.js) flags a take in the
server's words: each refusal it can show is one the server makes (app/audio/analysis.py), with
the same msgid, so it reads the same and shares the server's translation; and its limits are
the server's."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_file

from app.audio import DEFAULT_LIMITS, analysis
from app.audio.decode import CLIP_LEVEL
from tests.conftest import PROJECT_ROOT

TAKE_CHECK = PROJECT_ROOT / "app" / "web" / "static" / "js" / "take-check.js"


def script_messages() -> set[str]:
    found = extract_from_file("javascript", str(TAKE_CHECK), keywords={"t": None})
    return {message for _, message, _, _ in found}


def test_every_flag_the_page_shows_is_a_refusal_the_server_makes() -> None:
    server = {
        analysis._SILENT.msgid,
        analysis._CLIPPED.msgid,
        analysis._NO_SPEECH.msgid,
        analysis._too_short_message(length="{length}", minimum="{minimum}").msgid,
        analysis._duration("1").msgid,
        analysis._duration("{count}").msgid,
    }
    assert script_messages() == server


def test_the_page_checks_with_the_servers_limits() -> None:
    source = TAKE_CHECK.read_text(encoding="utf-8")
    limits = dict(re.findall(r"^\s+(\w+): (-?[\d.]+),$", source, flags=re.MULTILINE))
    assert float(limits["minMs"]) == DEFAULT_LIMITS.min_ms
    assert float(limits["silenceRmsDbfs"]) == DEFAULT_LIMITS.silence_rms_dbfs
    assert float(limits["clipLevel"]) == CLIP_LEVEL
    assert float(limits["maxClippingRatio"]) == DEFAULT_LIMITS.max_clipping_ratio
    assert float(limits["minSpeechRunMs"]) == DEFAULT_LIMITS.min_speech_run_ms
    assert float(limits["minSpeechRatio"]) == DEFAULT_LIMITS.min_speech_ratio
