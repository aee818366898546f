"""Make the demo clips and images of the embedded default from the demo sentences.

    .venv/bin/python scripts/make_demo_content.py          # write them
    .venv/bin/python scripts/make_demo_content.py --check  # exit 1 if the files differ

For every language with a demo sentence file (app/sentences/demo/<code>.txt):

- clips/<code>/<code>_<n>.ogg + .txt: the first CLIPS sentences spoken by espeak-ng, resampled
  to 16 kHz mono and encoded as Opus in Ogg (~9 KB for 4 s), the sentence as the reference.
- images/<code>/<code>_<n>.png + .txt: the last IMAGES sentences drawn by Pillow with its raqm
  layout (so conjuncts and vowel signs are shaped) in the Noto Sans font of the script, grey
  ink on light paper, the sentence as the reference.

parallel.csv (our own everyday sentences in en, hi, ta, bn) is written by hand, like the
sentence files, and only checked here. Everything is derived from the sentences with fixed
settings, so a run on the same tools writes the same bytes; nothing is fetched at run time.
Needs Debian's espeak-ng and fonts-noto-core, and Pillow built with raqm (its wheels are).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import av
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

DEMO = Path(__file__).resolve().parent.parent / "app" / "sentences" / "demo"
CLIPS = 4  # per language
IMAGES = 4  # per language

# espeak-ng voice and Noto font per language code (Debian: fonts-noto-core).
VOICES = {"bn": "bn", "en": "en", "hi": "hi", "mr": "mr", "ta": "ta"}
FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONTS = {
    "bn": "NotoSansBengali-Regular.ttf",
    "en": "NotoSans-Regular.ttf",
    "hi": "NotoSansDevanagari-Regular.ttf",
    "mr": "NotoSansDevanagari-Regular.ttf",
    "ta": "NotoSansTamil-Regular.ttf",
}
SPEED_WPM = 140  # a little slower than espeak's 175: easier to transcribe
SAMPLE_RATE = 16_000
OPUS_BITRATE = 20_000

FONT_SIZE = 40
LINE_WIDTH = 880  # pixels of text before a line wraps
PADDING = 36
PAPER, INK = 246, 38  # grey levels

PARALLEL_LANGUAGES = ["en", "hi", "ta", "bn"]


def main() -> int:
    """Write (or with --check, compare) the clips and images; check parallel.csv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    if not features.check("raqm"):
        sys.exit("Pillow has no raqm layout here: Indic text would not be shaped")
    check_parallel(DEMO / "parallel.csv")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for code, sentences in demo_sentences().items():
            for n, text in enumerate(sentences[:CLIPS], start=1):
                write_pair(out / "clips" / code / f"{code}_{n}", ".ogg", speak(text, code), text)
            for n, text in enumerate(sentences[-IMAGES:], start=1):
                image = draw(text, code)
                write_pair(out / "images" / code / f"{code}_{n}", ".png", image, text)
        folders = ("clips", "images")
        differing = [name for name in folders if differs(out / name, DEMO / name)]
        if args.check:
            for folder in differing:
                print(f"{DEMO / folder} differs from what this script makes")
            return 1 if differing else 0
        for folder in ("clips", "images"):
            shutil.rmtree(DEMO / folder, ignore_errors=True)
            shutil.copytree(out / folder, DEMO / folder)
    for folder in ("clips", "images"):
        files = sorted((DEMO / folder).rglob("*.*"))
        size = sum(f.stat().st_size for f in files)
        print(f"{folder}: {len(files) // 2} items, {size / 1024:.0f} KB")
    return 0


def demo_sentences() -> dict[str, list[str]]:
    """The demo sentences by language code, as app.sentences.demo reads them."""
    sentences = {}
    for path in sorted(DEMO.glob("*.txt")):
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        normalised = [unicodedata.normalize("NFC", " ".join(line.split())) for line in lines]
        sentences[path.stem] = [line for line in normalised if line]
    missing = sorted(set(sentences) - (VOICES.keys() & FONTS.keys()))
    if missing:
        sys.exit(f"no espeak-ng voice or Noto font named here for: {', '.join(missing)}")
    return sentences


def speak(text: str, code: str) -> bytes:
    """`text` spoken by espeak-ng's voice for `code`, as Opus in Ogg, 16 kHz mono."""
    wav = subprocess.run(
        ["espeak-ng", "-v", VOICES[code], "-s", str(SPEED_WPM), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    out = io.BytesIO()
    with (
        av.open(io.BytesIO(wav), "r") as source,
        av.open(out, "w", format="ogg", options={"fflags": "+bitexact"}) as target,
    ):
        stream = target.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = OPUS_BITRATE
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in [*source.decode(audio=0), None]:
            for resampled in resampler.resample(frame):
                target.mux(stream.encode(resampled))
        target.mux(stream.encode(None))
    return out.getvalue()


def draw(text: str, code: str) -> bytes:
    """`text` drawn on a light page in the Noto font of its script, wrapped to LINE_WIDTH,
    shaped by raqm for `code`'s language; a PNG in grey levels."""
    font = ImageFont.truetype(
        str(FONT_DIR / FONTS[code]), FONT_SIZE, layout_engine=ImageFont.Layout.RAQM
    )
    check_glyphs(font, text)
    lines = list(wrapped(text, font, code))
    ascent, descent = font.getmetrics()
    line_height = round((ascent + descent) * 1.25)
    width = max(round(font.getlength(line, language=code)) for line in lines)
    page = Image.new("L", (width + 2 * PADDING, line_height * len(lines) + 2 * PADDING), PAPER)
    pen = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        pen.text((PADDING, PADDING + row * line_height), line, font=font, fill=INK, language=code)
    out = io.BytesIO()
    page.save(out, "PNG", optimize=True)
    return out.getvalue()


def wrapped(text: str, font: ImageFont.FreeTypeFont, code: str) -> Iterator[str]:
    """The lines of `text`, broken between words so each fits LINE_WIDTH."""
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate, language=code) > LINE_WIDTH:
            yield line
            candidate = word
        line = candidate
    yield line


def check_glyphs(font: ImageFont.FreeTypeFont, text: str) -> None:
    """Exit when the font has no glyph for a character of `text` (it would draw a box)."""
    missing = font.getmask("\U0010fffd")  # a private-use character: the font's "no glyph"
    for char in sorted(set(text) - {" "}):
        if unicodedata.category(char).startswith("M"):
            continue  # a vowel sign alone is drawn on a dotted circle; checked in its word
        mask = font.getmask(char)
        if (
            mask.size == missing.size
            and not ImageChops.difference(
                Image.frombytes("L", mask.size, bytes(mask)),
                Image.frombytes("L", missing.size, bytes(missing)),
            ).getbbox()
        ):
            sys.exit(f"{font.getname()[0]} has no glyph for {char!r} (U+{ord(char):04X})")


def write_pair(stem: Path, suffix: str, data: bytes, text: str) -> None:
    """`stem`+`suffix` holding `data`, and `stem`.txt holding `text`: a pair as
    `crowdsource ingest media` reads them."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(suffix).write_bytes(data)
    stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")


def differs(made: Path, committed: Path) -> bool:
    """True when the two folders do not hold the same files with the same bytes."""
    ours = {p.relative_to(made): p.read_bytes() for p in made.rglob("*") if p.is_file()}
    theirs = {p.relative_to(committed): p.read_bytes() for p in committed.rglob("*") if p.is_file()}
    return ours != theirs


def check_parallel(path: Path) -> None:
    """Exit unless parallel.csv has a column per PARALLEL_LANGUAGES and no empty cell."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    if rows[0] != PARALLEL_LANGUAGES or any(
        len(row) != len(PARALLEL_LANGUAGES) or not all(cell.strip() for cell in row)
        for row in rows[1:]
    ):
        sys.exit(f"{path}: expected the columns {PARALLEL_LANGUAGES} and a text in every cell")


if __name__ == "__main__":
    sys.exit(main())
