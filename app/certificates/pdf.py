"""The certificate as a PDF: A4 landscape, every script shaped by HarfBuzz (fpdf2 with
uharfbuzz), in Noto faces embedded as subsets.

The name is set alone in a band of known position (`NAME_BAND_MM`), so a test can cut it out
of a rendering and compare it with a browser's. Each piece of text is set in the face of its
own script (app/certificates/fonts.py), with the other faces as fallbacks for characters of
another script (a Latin web address inside an Urdu sentence); Arabic-script text runs right
to left (the bidi algorithm orders mixed runs). The fixed words come translated: the caller
passes them as `Labels`, made in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from app.certificates.fonts import BOLD, LATIN, all_faces, face_for, font_path, main_script

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
MARGIN = 12.0
NAME_BAND_MM = (62.0, 100.0)  # top and bottom of the name's band: nothing else is drawn there
NAME_SIZE = 40  # pt
INK = (30, 41, 59)
ACCENT = (180, 83, 9)


@dataclass(frozen=True)
class Labels:
    """The certificate's fixed words, already in the reader's language."""

    title: str
    certifies: str  # "This certifies that"
    contributed: str  # what they did, before the languages
    contributions: str  # "12 contributions"
    validations: str  # "30 validations"
    issued: str  # "Issued on 7 December 2026"
    code: str  # "Verification code: XXXX-XXXX-XXXX"
    check: str  # "Check it at https://…"


@dataclass(frozen=True)
class Content:
    """What the certificate says that is not a fixed word."""

    name: str
    language_names: Sequence[str]  # each in its own script
    url: str  # the public verification page


def _family(filename: str) -> str:
    return Path(filename).stem


def _shape(pdf: FPDF, text: str, *, shaping: bool) -> None:
    """Set the face and the shaping for `text` (right to left for Arabic script)."""
    face = face_for(text)
    pdf.set_font(_family(face))
    if not shaping:
        return
    if main_script(text) == "Arab":
        urdu = face.startswith("NotoNastaliqUrdu")
        pdf.set_text_shaping(True, direction="rtl", script="arab",
                             language="urd" if urdu else None)  # fmt: skip
    else:
        pdf.set_text_shaping(True, direction="ltr")


def _centred(
    pdf: FPDF, text: str, y: float, size: float, *, height: float = 10.0, shaping: bool = True,
    x: float = MARGIN, w: float = PAGE_W - 2 * MARGIN,
) -> None:  # fmt: skip
    _shape(pdf, text, shaping=shaping)
    pdf.set_font_size(size)
    pdf.set_xy(x, y)
    pdf.cell(w, height, text, align="C")


def _new_document(texts: Sequence[str], *, shaping: bool) -> FPDF:
    """A4 landscape with the faces `texts` need (reading a face costs time: only those), and
    Latin for the fallback of every one (a web address, a code)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    needed = {face_for(text) for text in texts} | {LATIN, BOLD}
    faces = [face for face in all_faces() if face in needed]
    for face in faces:
        pdf.add_font(_family(face), fname=str(font_path(face)))
    pdf.set_fallback_fonts([_family(face) for face in faces if face != BOLD])
    if not shaping:
        pdf.text_shaping = None
    pdf.add_page()
    return pdf


def draw_name(pdf: FPDF, name: str, *, shaping: bool = True) -> None:
    """The name, alone and centred in its band (a test draws it unshaped to show that an
    unshaped rendering does not pass for a shaped one)."""
    top, bottom = NAME_BAND_MM
    pdf.set_text_color(*INK)
    _centred(pdf, name, top, NAME_SIZE, height=bottom - top, shaping=shaping)


def name_only(name: str, *, shaping: bool = True) -> bytes:
    """A page with only the name where the certificate has it (for tests)."""
    pdf = _new_document([name], shaping=shaping)
    draw_name(pdf, name, shaping=shaping)
    return bytes(pdf.output())


def _languages(pdf: FPDF, names: Sequence[str], y: float, size: float) -> None:
    """The language names in a row, centred, each in its own face and direction."""
    gap = 8.0
    widths = []
    for name in names:
        _shape(pdf, name, shaping=True)
        pdf.set_font_size(size)
        widths.append(pdf.get_string_width(name) + 2)
    x = (PAGE_W - (sum(widths) + gap * (len(names) - 1))) / 2
    for name, width in zip(names, widths, strict=True):
        _shape(pdf, name, shaping=True)
        pdf.set_font_size(size)
        pdf.set_xy(max(MARGIN, x), y)
        pdf.cell(width, 12, name, align="C")
        x += width + gap


def _qr(pdf: FPDF, url: str) -> None:
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=8, border=0)
    image.seek(0)
    size = 30.0
    pdf.image(image, x=PAGE_W - MARGIN - 8 - size, y=PAGE_H - MARGIN - 8 - size, w=size, h=size)


def render_certificate(content: Content, labels: Labels) -> bytes:
    """The certificate as PDF bytes. Raises FontsMissing when a face is not installed."""
    texts = [content.name, *content.language_names, *vars(labels).values()]
    pdf = _new_document(texts, shaping=True)
    pdf.set_title(labels.title)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(MARGIN, MARGIN, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN + 3, MARGIN + 3, PAGE_W - 2 * MARGIN - 6, PAGE_H - 2 * MARGIN - 6)

    pdf.set_text_color(*ACCENT)
    title_face = face_for(labels.title)
    _centred(pdf, labels.title, 26, 28, height=16)
    if title_face == LATIN:  # Latin titles in bold, drawn over the same place
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(MARGIN + 5, 26, PAGE_W - 2 * MARGIN - 10, 16, style="F")
        pdf.set_font(_family(BOLD), size=28)
        pdf.set_xy(MARGIN, 26)
        pdf.cell(PAGE_W - 2 * MARGIN, 16, labels.title, align="C")
    pdf.set_text_color(*INK)
    _centred(pdf, labels.certifies, 48, 14)
    draw_name(pdf, content.name)
    pdf.set_draw_color(*ACCENT)
    pdf.line(PAGE_W / 2 - 60, NAME_BAND_MM[1] + 1, PAGE_W / 2 + 60, NAME_BAND_MM[1] + 1)
    _centred(pdf, labels.contributed, 104, 14)
    _languages(pdf, content.language_names, 116, 16)
    half = (PAGE_W - 2 * MARGIN) / 2
    first, second = labels.contributions, labels.validations
    if main_script(first) == "Arab":  # read from the right: contributions there
        first, second = second, first
    _centred(pdf, first, 134, 16, x=MARGIN + 20, w=half - 20)
    _centred(pdf, second, 134, 16, x=MARGIN + half, w=half - 20)
    _centred(pdf, labels.issued, 148, 12)
    _centred(pdf, labels.code, 166, 12, x=MARGIN + 10, w=PAGE_W - 2 * MARGIN - 60)
    _centred(pdf, labels.check, 174, 10, x=MARGIN + 10, w=PAGE_W - 2 * MARGIN - 60)
    _qr(pdf, content.url)
    return bytes(pdf.output())
