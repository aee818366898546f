"""The certificate in real Chromium: downloaded from /certificate for a Devanagari and an
Urdu name, rendered to an image (pdftoppm), and its name compared with the same name drawn
by Chromium in the same Noto face. Chromium shapes with HarfBuzz too, so a rightly shaped
PDF matches it (conjuncts, matras, joined Nastaliq right to left) and an unshaped one does
not: the test draws the name unshaped as well (fpdf2 without text shaping) and requires that
this one fails the same comparison.

How two renderings are compared: each is cut to its ink's bounding box, scaled to the same
height, and must have nearly the same width and nearly the same grey levels (mean absolute
difference of 64-pixel-high thumbnails, and their correlation)."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pytest
from itsdangerous import URLSafeSerializer
from PIL import Image
from playwright.sync_api import expect
from psycopg.rows import dict_row

from app.certificates.fonts import face_for, font_path
from app.certificates.pdf import MARGIN, NAME_BAND_MM, PAGE_W, name_only
from app.contributors.identity import read_session_value
from tests.api.test_certificates import give
from tests.browser.conftest import LiveServer, NewPerson
from tests.conftest import TEST_SECRET

DPI = 200
THUMB_H = 64
NAMES = ["क्षत्रिय श्रीमती", "عائشہ خان"]


@dataclass(frozen=True)
class Likeness:
    """How alike two renderings of a name are."""

    aspect_ratio: float  # width/height of one over the other's
    mean_difference: float  # 0 (same) to 1, grey levels of the thumbnails
    correlation: float

    @property
    def same(self) -> bool:
        return (abs(self.aspect_ratio - 1) < 0.06 and self.mean_difference < 0.08
                and self.correlation > 0.85)  # fmt: skip


def ink(image: Image.Image) -> np.ndarray:
    """The image in grey levels (1 = the darkest ink), cut to the bounding box of its ink."""
    grey = 1 - np.asarray(image.convert("L"), dtype=float) / 255
    grey = grey / grey.max()  # the PDF's ink is dark blue-grey, Chromium's black
    rows, cols = np.nonzero(grey > 0.25)
    assert rows.size, "no ink"
    return grey[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def thumbnail(grey: np.ndarray, width: int) -> np.ndarray:
    image = Image.fromarray((grey * 255).astype(np.uint8))
    resized = image.resize((width, THUMB_H), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=float) / 255


def likeness(a: np.ndarray, b: np.ndarray) -> Likeness:
    ratio = (a.shape[1] / a.shape[0]) / (b.shape[1] / b.shape[0])
    width = round(THUMB_H * a.shape[1] / a.shape[0])
    thumbs = [thumbnail(x, width) for x in (a, b)]
    difference = float(np.abs(thumbs[0] - thumbs[1]).mean())
    correlation = float(np.corrcoef(thumbs[0].ravel(), thumbs[1].ravel())[0, 1])
    return Likeness(ratio, difference, correlation)


def name_in_pdf(pdf: Path) -> np.ndarray:
    """The name's band of the PDF's first page, rendered by poppler, cut to its ink."""
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", str(pdf),
                    str(pdf.with_suffix(""))], check=True)  # fmt: skip
    page = Image.open(pdf.with_suffix(".png"))
    scale = page.width / PAGE_W  # pixels per mm
    top, bottom = NAME_BAND_MM
    inside = MARGIN + 5  # within the page's frame, whose sides cross the band
    band = (round(inside * scale), round(top * scale), round((PAGE_W - inside) * scale),
            round(bottom * scale))  # fmt: skip
    return ink(page.crop(band))


def name_in_chromium(new_person: NewPerson, name: str, folder: Path) -> np.ndarray:
    """The name as Chromium draws it in the face the certificate uses (a local page)."""
    face = font_path(face_for(name))
    html = folder / f"name-{uuid.uuid4().hex}.html"
    html.write_text(
        f"""<!doctype html><meta charset="utf-8">
<style>@font-face {{ font-family: "Certificate"; src: url("{face.as_uri()}"); }}
body {{ margin: 0; background: #fff; }}
#name {{ font: 120px "Certificate"; color: #000; padding: 80px; white-space: nowrap;
         display: inline-block; }}</style>
<div id="name" dir="auto">{name}</div>""",
        encoding="utf-8",
    )
    page = new_person(viewport={"width": 2400, "height": 900})
    page.goto(html.as_uri())
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('120px Certificate')")
    shot = folder / f"{html.stem}.png"
    page.locator("#name").screenshot(path=str(shot))
    return ink(Image.open(shot))


def contributor_id(page_cookies: list) -> uuid.UUID:
    value = next(c["value"] for c in page_cookies if c["name"] == "cs_id")
    serializer = URLSafeSerializer(TEST_SECRET, salt="crowdsource.contributor")
    return read_session_value(serializer.loads(value))[0]


@pytest.mark.parametrize("name", NAMES)
def test_the_downloaded_certificate_shapes_the_name_as_chromium_does(
    live_server: LiveServer, new_person: NewPerson, database_url: str, tmp_path: Path, name: str
) -> None:
    page = new_person()
    page.goto(f"{live_server.url}/certificate")
    expect(page.locator("#progress-status")).to_contain_text("Still to do")
    expect(page.locator("#certificate-form")).to_be_hidden()
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as db:
        give(db, contributor_id(page.context.cookies()), contributions=5)
    page.reload()
    expect(page.locator("#progress-status")).to_have_text(
        "You can have a certificate. Thank you for your work!"
    )
    page.get_by_label("Name to print on the certificate").fill(name)
    with page.expect_download() as download:
        page.get_by_role("button", name="Get my certificate").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    link = page.locator("#verify-link")
    expect(link).to_be_visible()
    with psycopg.connect(database_url, row_factory=dict_row) as db:
        code = db.execute("SELECT code, name FROM certificates").fetchone()
    assert code["name"] == name
    expect(link).to_have_text(f"{live_server.url}/certificates/{code['code']}")

    printed = name_in_pdf(pdf)
    drawn = name_in_chromium(new_person, name, tmp_path)
    shaped = likeness(printed, drawn)
    assert shaped.same, shaped  # measured: width ratio 0.99-1.00, difference 0.01-0.02, r 0.99

    unshaped_pdf = tmp_path / "unshaped.pdf"
    unshaped_pdf.write_bytes(name_only(name, shaping=False))
    unshaped = likeness(name_in_pdf(unshaped_pdf), drawn)
    assert not unshaped.same, unshaped  # measured: ratio 1.07 / 1.43, difference 0.36 / 0.23

    # The public check shows the same name.
    link.click()
    expect(page.get_by_role("heading", name="This certificate is genuine")).to_be_visible()
    expect(page.locator("#certificate-name")).to_have_text(name)
