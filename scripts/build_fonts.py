"""Build the self-hosted web fonts: WOFF2 subsets of Debian's Noto fonts (package
fonts-noto-core) for the scripts of the interface languages, and the @font-face rules that load
each only where a page shows that script (`unicode-range`), with `font-display: swap`.

    python scripts/build_fonts.py            # writes app/web/static/fonts/*.woff2 and fonts.css
    python scripts/build_fonts.py --check    # exits 1 if the committed files are not what the
                                             # fonts installed here give (coverage, not bytes)

Run at build time by a maintainer (the outputs are committed, so a fresh machine and the
container need neither Debian's fonts nor fontTools); nothing is downloaded at run time. Noto
is under the SIL Open Font License 1.1 (app/web/static/fonts/LICENSE).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/noto")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "app" / "web" / "static" / "fonts"
# Shared by every Indic script: ZWNJ, ZWJ, the dotted circle a lone mark is drawn on,
# the danda and double danda (Devanagari's block, used by others too), the rupee sign.
COMMON = [(0x200C, 0x200D), (0x25CC, 0x25CC), (0x0964, 0x0965), (0x20B9, 0x20B9)]


@dataclass(frozen=True)
class Face:
    family: str  # the CSS family name, as the font stacks in site.css name it
    file: str  # Debian's file name, without -Regular/-Bold.ttf
    ranges: tuple[tuple[int, int], ...]


FACES = (
    Face("Noto Sans Devanagari", "NotoSansDevanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    Face("Noto Sans Bengali", "NotoSansBengali", ((0x0980, 0x09FF),)),
    Face("Noto Sans Gurmukhi", "NotoSansGurmukhi", ((0x0A00, 0x0A7F),)),
    Face("Noto Sans Gujarati", "NotoSansGujarati", ((0x0A80, 0x0AFF),)),
    Face("Noto Sans Oriya", "NotoSansOriya", ((0x0B00, 0x0B7F),)),
    Face("Noto Sans Tamil", "NotoSansTamil", ((0x0B80, 0x0BFF),)),
    Face("Noto Sans Telugu", "NotoSansTelugu", ((0x0C00, 0x0C7F),)),
    Face("Noto Sans Kannada", "NotoSansKannada", ((0x0C80, 0x0CFF),)),
    Face("Noto Sans Malayalam", "NotoSansMalayalam", ((0x0D00, 0x0D7F),)),
    # Urdu: Naskh, which phones lacking Nastaliq show well at interface sizes.
    Face(
        "Noto Naskh Arabic",
        "NotoNaskhArabic",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
)
WEIGHTS = {400: "Regular", 700: "Bold"}


def slug(face: Face) -> str:
    return face.family.lower().replace(" ", "-")


def unicode_range(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in ranges)


def wanted(face: Face) -> list[tuple[int, int]]:
    return [*face.ranges, *COMMON]


def build_one(face: Face, weight: int, target: Path) -> None:
    source = SOURCE / f"{face.file}-{WEIGHTS[weight]}.ttf"
    options = subset.Options()
    options.layout_features = ["*"]  # conjuncts, matras, reph, joining: shaping needs them all
    options.flavor = "woff2"
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["DSIG"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[u for a, b in wanted(face) for u in range(a, b + 1)])
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def css() -> str:
    rules = [
        "/* Made by scripts/build_fonts.py from Debian's fonts-noto-core (SIL OFL 1.1): each face",
        "   is fetched only by a page that shows its script (unicode-range). */",
    ]
    for face in FACES:
        for weight in WEIGHTS:
            rules += [
                "@font-face {",
                f'  font-family: "{face.family}"; font-style: normal; font-weight: {weight};',
                "  font-display: swap;",
                # The face already on the device (Android phones have Noto), by its full
                # and PostScript names, as local() matches them; else ours.
                f'  src: local("{face.family} {WEIGHTS[weight]}"),'
                f' local("{face.file}-{WEIGHTS[weight]}"),'
                f' url("{slug(face)}-{weight}.woff2") format("woff2");',
                f"  unicode-range: {unicode_range(list(face.ranges))};",
                "}",
            ]
    return "\n".join(rules) + "\n"


def covered(path: Path) -> set[int]:
    return set(TTFont(path).getBestCmap())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    problems = []
    for face in FACES:
        for weight, style in WEIGHTS.items():
            target = OUT / f"{slug(face)}-{weight}.woff2"
            if args.check:
                source = SOURCE / f"{face.file}-{style}.ttf"
                want = covered(source) & {u for a, b in wanted(face) for u in range(a, b + 1)}
                if not target.exists() or covered(target) != want:
                    problems.append(f"{target.name}: not what {source.name} gives")
            else:
                build_one(face, weight, target)
                print(f"{target.relative_to(ROOT)}: {target.stat().st_size:,} bytes")
    stylesheet = OUT / "fonts.css"
    if args.check:
        if not stylesheet.exists() or stylesheet.read_text() != css():
            problems.append("fonts.css: out of date")
    else:
        stylesheet.write_text(css())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
