"""The Noto faces a certificate is set in, found in one place.

Debian's fonts-noto-core puts them in /usr/share/fonts/truetype/noto (the Docker image
copies the faces below from that package). A face that is missing
is a broken installation, not bad input: `FontsMissing` (503) names the file and the package.

Which face draws a text: the script most of its letters are in (Unicode's character names
start with the script: "DEVANAGARI LETTER KA"), then the first face of that script whose
character map has every character (Urdu's Nastaliq, else Naskh for Sindhi or Kashmiri letters
it lacks).
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from pathlib import Path

from fontTools.ttLib import TTFont

from app.errors import ServiceUnavailable
from app.i18n.text import Text

DEFAULT_DIR = Path("/usr/share/fonts/truetype/noto")

# ISO 15924 script -> the faces that may draw it, best first (files in the Noto folder).
FACES: dict[str, tuple[str, ...]] = {
    "Latn": ("NotoSans-Regular.ttf",),
    "Deva": ("NotoSansDevanagari-Regular.ttf",),
    "Beng": ("NotoSansBengali-Regular.ttf",),
    "Guru": ("NotoSansGurmukhi-Regular.ttf",),
    "Gujr": ("NotoSansGujarati-Regular.ttf",),
    "Orya": ("NotoSansOriya-Regular.ttf",),
    "Taml": ("NotoSansTamil-Regular.ttf",),
    "Telu": ("NotoSansTelugu-Regular.ttf",),
    "Knda": ("NotoSansKannada-Regular.ttf",),
    "Mlym": ("NotoSansMalayalam-Regular.ttf",),
    "Arab": ("NotoNastaliqUrdu-Regular.ttf", "NotoNaskhArabic-Regular.ttf"),
    "Mtei": ("NotoSansMeeteiMayek-Regular.ttf",),
    "Olck": ("NotoSansOlChiki-Regular.ttf",),
}
BOLD = "NotoSans-Bold.ttf"  # a Latin title
LATIN = FACES["Latn"][0]

# The first word(s) of a character's Unicode name -> its script.
_NAME_PREFIXES = {
    "LATIN": "Latn", "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru",
    "GUJARATI": "Gujr", "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda",
    "MALAYALAM": "Mlym", "ARABIC": "Arab", "MEETEI": "Mtei", "OL": "Olck",
}  # fmt: skip
# Joiners shape Indic and Arabic text; every face has them or needs none.
_INVISIBLE = {"\u200c", "\u200d"}


class FontsMissing(ServiceUnavailable):
    """A face the certificate needs is not installed."""

    code = "fonts_missing"


def font_path(filename: str) -> Path:
    """The path of one face; raises FontsMissing when it is not there."""
    path = DEFAULT_DIR / filename
    if not path.is_file():
        raise FontsMissing(
            Text(
                "Certificates cannot be made now: the font {font} is not installed "
                "(package fonts-noto-core).",
                font=str(path),
            )
        )
    return path


@functools.cache
def _characters(filename: str) -> frozenset[int]:
    """The code points a face has glyphs for (read once per process)."""
    with TTFont(font_path(filename), lazy=True) as font:
        return frozenset(font.getBestCmap())


def script_of(ch: str) -> str | None:
    """The script of one character, or None for spaces, punctuation, digits and marks shared
    by every script."""
    try:
        first = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None
    return _NAME_PREFIXES.get(first)


def main_script(text: str) -> str:
    """The script most of the letters of `text` are in (Latin when it has none we know)."""
    counts = Counter(s for s in map(script_of, text) if s is not None)
    return counts.most_common(1)[0][0] if counts else "Latn"


def covers(filename: str, text: str) -> bool:
    """True when the face has a glyph for every visible character of `text`."""
    have = _characters(filename)
    return all(ord(ch) in have for ch in text if ch not in _INVISIBLE and not ch.isspace())


def face_for(text: str) -> str:
    """The face (file name) to set `text` in: its main script's first face that covers it,
    else that script's first face (another face fills in the rest, as a fallback)."""
    faces = FACES[main_script(text)]
    return next((face for face in faces if covers(face, text)), faces[0])


def unprintable(text: str) -> list[str]:
    """The characters of `text` that no face we embed can draw (each once, in order)."""
    missing: list[str] = []
    for ch in text:
        if ch in _INVISIBLE or ch.isspace() or ch in missing:
            continue
        if not any(ord(ch) in _characters(face) for faces in FACES.values() for face in faces):
            missing.append(ch)
    return missing


def all_faces() -> list[str]:
    """Every face a certificate may use, each once."""
    return [BOLD, *dict.fromkeys(face for faces in FACES.values() for face in faces)]
