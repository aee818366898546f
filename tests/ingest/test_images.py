"""Images to label, checked at ingest (app.ingest.images): PNG, JPEG and WebP are measured and
stored upright without metadata; everything else, and every damaged or oversized file, is
refused with its reason. The images are made here with Pillow."""

from __future__ import annotations

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from app.ingest.images import MAX_IMAGE_PIXELS, ImageRefused, check_image
from tests.ingest.pictures import (
    GPS_IFD,
    camera_exif,
    encoded,
    picture,
    png_claiming,
    reopened,
)


def refusal(data: bytes, **limits: int) -> ImageRefused:
    with pytest.raises(ImageRefused) as caught:
        check_image(data, **limits)
    return caught.value


def test_a_png_is_measured_and_stays_a_png() -> None:
    checked = check_image(encoded(picture((40, 20)), "PNG"))

    assert checked.measures() == {"width": 40, "height": 20, "format": "png"}
    assert (checked.content_type, checked.extension) == ("image/png", "png")
    assert reopened(checked.data).format == "PNG"
    assert reopened(checked.data).getpixel((0, 0)) == (255, 0, 0)


def test_a_jpeg_loses_its_exif_and_gps_position() -> None:
    original = encoded(picture(), "JPEG", exif=camera_exif(), comment=b"taken at home")
    assert reopened(original).getexif().get_ifd(GPS_IFD)  # the test image does carry it

    checked = check_image(original)

    stored = reopened(checked.data)
    assert checked.measures() == {"width": 40, "height": 20, "format": "jpeg"}
    assert checked.extension == "jpg" and stored.format == "JPEG"
    assert dict(stored.getexif()) == {} and not stored.getexif().get_ifd(GPS_IFD)
    assert "exif" not in stored.info and "comment" not in stored.info
    assert b"Exif" not in checked.data and b"PhoneMaker" not in checked.data


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    # Orientation 6: the camera was turned; viewers rotate the stored picture 90 degrees
    # clockwise, so its red left half shows at the top.
    original = encoded(picture((40, 20)), "JPEG", exif=camera_exif(orientation=6), quality=95)

    checked = check_image(original)

    stored = reopened(checked.data)
    assert (checked.width, checked.height) == stored.size == (20, 40)
    top, bottom = stored.getpixel((10, 5)), stored.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60  # red
    assert bottom[2] > 200 and bottom[0] < 60  # blue


def test_png_text_chunks_and_colour_profiles_are_dropped() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "someone@example.org")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    checked = check_image(encoded(picture(), "PNG", pnginfo=text, icc_profile=profile))

    stored = reopened(checked.data)
    assert "Author" not in stored.info and "icc_profile" not in stored.info
    assert b"someone@example.org" not in checked.data


def test_a_webp_is_kept_as_webp_and_a_lossless_one_stays_lossless() -> None:
    lossy = check_image(encoded(picture((30, 10)), "WEBP", quality=80))
    lossless = check_image(encoded(picture((30, 10)), "WEBP", lossless=True))

    assert lossy.measures() == {"width": 30, "height": 10, "format": "webp"}
    assert lossy.content_type == "image/webp" and lossy.data[12:16] == b"VP8 "
    assert lossless.data[12:16] == b"VP8L"
    assert reopened(lossless.data).getpixel((0, 0)) == (255, 0, 0)


def test_a_transparent_palette_png_keeps_its_transparency() -> None:
    image = picture((8, 8)).convert("P")
    data = encoded(image, "PNG", transparency=image.getpixel((0, 0)))  # red is see-through

    stored = reopened(check_image(data).data)

    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0))[3] == 0 and stored.getpixel((7, 0)) == (0, 0, 255, 255)


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF", "AVIF"])
def test_other_image_formats_are_refused_by_name(format: str) -> None:
    refused = refusal(encoded(picture(), format))

    assert refused.code == "unsupported_image_format"
    assert format in refused.message


def test_something_that_is_no_image_is_refused() -> None:
    assert refusal(b"just some text, not a picture").code == "not_image"


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP"])
def test_truncated_files_are_refused_not_padded(format: str) -> None:
    whole = encoded(Image.effect_noise((64, 64), 50).convert("RGB"), format)

    assert refusal(whole[: len(whole) // 2]).code == "corrupt_image"
    assert refusal(whole[:20]).code == "corrupt_image"  # a damaged header, a known signature


def test_truncated_files_are_refused_even_when_pillow_is_told_to_pad_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = encoded(Image.effect_noise((64, 64), 50).convert("RGB"), "PNG")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    assert refusal(whole[: len(whole) // 2]).code == "corrupt_image"


def test_a_png_with_a_bad_checksum_is_refused() -> None:
    data = bytearray(encoded(Image.effect_noise((64, 64), 50), "PNG"))
    data[60] ^= 0xFF  # inside the compressed pixels

    assert refusal(bytes(data)).code == "corrupt_image"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # 64 M: over our limit, under Pillow's own
        (10_000, 10_000),  # 100 M: over Pillow's warning level
        (100_000, 100_000),  # 10,000 M: Pillow's DecompressionBombError
    ],
)
def test_decompression_bombs_are_refused_from_their_header(width: int, height: int) -> None:
    bomb = png_claiming(width, height)
    assert len(bomb) < 100 and width * height > MAX_IMAGE_PIXELS

    assert refusal(bomb).code == "too_many_pixels"


def test_the_limits_are_on_pixels_and_bytes() -> None:
    data = encoded(picture((40, 20)), "PNG")

    assert refusal(data, max_pixels=799).code == "too_many_pixels"
    assert check_image(data, max_pixels=800).width == 40
    assert refusal(data, max_bytes=len(data) - 1).code == "too_large"


def test_animated_images_are_refused() -> None:
    frames = [picture(), picture().rotate(180)]
    webp = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    png = encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])

    assert refusal(webp).code == refusal(png).code == "animated_image"


def test_the_same_image_is_encoded_to_the_same_bytes() -> None:
    data = encoded(picture(), "JPEG", exif=camera_exif())

    assert check_image(data).data == check_image(data).data
