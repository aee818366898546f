"""The self-hosted fonts (issue #19): every script of the interface languages has a WOFF2 face
that covers its letters, loaded only for that script (unicode-range) with font-display: swap,
and served by the app."""

from __future__ import annotations

import re
from pathlib import Path

from fontTools.ttLib import TTFont

from app.i18n import LOCALES

FONTS = Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "fonts"
# A letter of each interface script, and the face meant to draw it.
SAMPLES = {
    "Deva": ("क", "Noto Sans Devanagari"), "Beng": ("ক", "Noto Sans Bengali"),
    "Taml": ("க", "Noto Sans Tamil"), "Telu": ("క", "Noto Sans Telugu"),
    "Gujr": ("ક", "Noto Sans Gujarati"), "Knda": ("ಕ", "Noto Sans Kannada"),
    "Mlym": ("ക", "Noto Sans Malayalam"), "Guru": ("ਕ", "Noto Sans Gurmukhi"),
    "Orya": ("କ", "Noto Sans Oriya"), "Arab": ("ک", "Noto Naskh Arabic"),
}  # fmt: skip


def faces() -> list[dict[str, str]]:
    css = (FONTS / "fonts.css").read_text()
    return [
        dict(re.findall(r"(font-family|font-weight|font-display|src|unicode-range):\s*([^;]+);", b))
        for b in re.findall(r"@font-face \{(.*?)\}", css, re.S)
    ]


def in_range(char: str, ranges: str) -> bool:
    for part in ranges.split(","):
        bounds = part.strip().removeprefix("U+").split("-")
        low, high = int(bounds[0], 16), int(bounds[-1], 16)
        if low <= ord(char) <= high:
            return True
    return False


def test_every_interface_script_has_a_face_that_draws_it(app) -> None:
    scripts = {locale.script for locale in LOCALES} - {"Latn"}
    assert scripts <= set(SAMPLES)
    by_family: dict[str, list[dict[str, str]]] = {}
    for face in faces():
        by_family.setdefault(face["font-family"].strip('"'), []).append(face)
    client = app.test_client()
    for script in scripts:
        letter, family = SAMPLES[script]
        assert {face["font-weight"] for face in by_family[family]} == {"400", "700"}
        for face in by_family[family]:
            assert face["font-display"] == "swap"
            assert in_range(letter, face["unicode-range"])
            assert not in_range("a", face["unicode-range"])  # Latin pages never fetch it
            name = re.search(r'url\("([^"]+)"\)', face["src"]).group(1)
            assert ord(letter) in TTFont(FONTS / name).getBestCmap(), (family, name)
            served = client.get(f"/static/fonts/{name}")
            assert served.status_code == 200 and served.data[:4] == b"wOF2"
    page = client.get("/").text
    assert re.search(r"/static/fonts/fonts\.[0-9a-f]{8}\.css", page)  # app/web/assets.py


def test_the_committed_fonts_are_what_debians_noto_gives() -> None:
    """scripts/build_fonts.py --check: same coverage as the installed fonts-noto-core."""
    import subprocess
    import sys

    import pytest

    if not Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf").exists():
        pytest.skip("fonts-noto-core is not installed (apt install fonts-noto-core)")
    script = FONTS.parents[3] / "scripts" / "build_fonts.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
