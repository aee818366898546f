"""`check_image`: an image to label, checked, measured and stripped of its metadata.

Bytes in, bytes out, no I/O: a PNG, JPEG or WebP is decoded with Pillow, turned upright by
its EXIF orientation, and encoded again in its own format from the bare pixels, so what we
store and serve carries no EXIF (camera, GPS position, time), no XMP, no comments and no
colour profile (a picture with one is converted to sRGB first, so it still looks the same).

Limits, in the order they are tried: the file size, then the pixel count from the header
before anything is decoded (a PNG of a few kilobytes can claim 100,000 x 100,000 pixels:
a decompression bomb), then a full decode, which refuses truncated and corrupt files.
The limits are constants here, as MAX_MEDIA_BYTES is for audio: no setting has needed them.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from app.errors import CrowdsourceError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
# 50 million pixels: a 48-megapixel phone photo passes; decoded as RGBA it takes 200 MB, and
# turning it upright as much again. Below Pillow's own limit (Image.MAX_IMAGE_PIXELS, ~89 M),
# which is process-wide and left alone: ours is checked from the header before decoding.
MAX_IMAGE_PIXELS = 50_000_000

JPEG_QUALITY = 92  # high enough that small text stays sharp; 4:4:4 keeps coloured strokes
WEBP_QUALITY = 90

# Pillow's format name -> (our format name, MIME type, extension of the key).
FORMATS: dict[str, tuple[str, str, str]] = {
    "PNG": ("png", "image/png", "png"),
    "JPEG": ("jpeg", "image/jpeg", "jpg"),
    "WEBP": ("webp", "image/webp", "webp"),
}
# The pixel modes each format is written in; anything else is converted (see _bare_pixels).
_KEPT_MODES = {
    "PNG": ("1", "L", "LA", "I", "I;16", "RGB", "RGBA"),
    "JPEG": ("L", "RGB"),
    "WEBP": ("RGB", "RGBA"),
}
# What decoding a damaged or hostile file raises in Pillow's plugins (its fuzzing finds these).
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # truncated ("image file is truncated"), broken data stream, bad CRC
    SyntaxError,  # malformed chunks and markers
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)


class ImageRefused(CrowdsourceError):
    """An image we will not keep; `code` says why (one of the codes in
    app.ingest.report.MEDIA_REASONS): not_image, unsupported_image_format, too_large,
    too_many_pixels, animated_image or corrupt_image."""

    code = "image_refused"
    http_status = 422


@dataclass(frozen=True)
class CheckedImage:
    """An image ready to store: its bytes re-encoded without metadata, and its measures
    (upright, as stored)."""

    data: bytes
    width: int
    height: int
    format: str  # png | jpeg | webp
    content_type: str
    extension: str

    def measures(self) -> dict[str, Any]:
        """What `dataset_rows.media_measures` holds: width, height and format."""
        return {"width": self.width, "height": self.height, "format": self.format}


def check_image(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> CheckedImage:
    """`data` checked, turned upright and encoded again in its own format without metadata.

    Raises ImageRefused with code too_large (more than `max_bytes`), not_image (no image
    Pillow knows), unsupported_image_format (an image, but not PNG, JPEG or WebP; the
    message names its format), too_many_pixels (more than `max_pixels`, judged from the
    header before decoding), animated_image (more than one frame) or corrupt_image
    (truncated or damaged: decoding failed).
    """
    if len(data) > max_bytes:
        raise ImageRefused(f"{len(data)} bytes, more than {max_bytes}", code="too_large")
    with _opened(data) as image:
        assert image.format is not None  # set by every plugin that opened it
        pixels = image.width * image.height
        if pixels > max_pixels:
            raise ImageRefused(
                f"{image.width} x {image.height} pixels, more than {max_pixels}",
                code="too_many_pixels",
            )
        if getattr(image, "n_frames", 1) > 1:
            raise ImageRefused("an animated image, with more than one frame", code="animated_image")
        try:
            # Truncated files must fail here: Pillow pads them with grey only when a global
            # flag says so. Another module setting it would make us store half pictures.
            if ImageFile.LOAD_TRUNCATED_IMAGES:
                raise OSError("ImageFile.LOAD_TRUNCATED_IMAGES is set; refusing to guess")
            image.load()
            upright = ImageOps.exif_transpose(image)
            bare = _bare_pixels(upright, image.format, image.info.get("icc_profile"))
            out = io.BytesIO()
            _save(bare, image.format, out, lossless=_is_lossless_webp(data))
        except _DECODE_ERRORS as exc:
            raise ImageRefused(f"cannot be decoded: {exc}", code="corrupt_image") from None
    name, content_type, extension = FORMATS[image.format]
    return CheckedImage(out.getvalue(), bare.width, bare.height, name, content_type, extension)


@contextmanager
def _opened(data: bytes) -> Iterator[ImageFile.ImageFile]:
    """Image.open restricted to the formats we keep, with Pillow's decompression-bomb
    warning turned into a refusal; on a file it cannot open, a second look says whether it
    is one of ours, damaged (corrupt_image), another format, or no image at all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(str(exc), code="too_many_pixels") from None
    except UnidentifiedImageError:
        if _has_our_signature(data):
            raise ImageRefused("a damaged header", code="corrupt_image") from None
        other = _other_format(data)
        if other is None:
            raise ImageRefused("not an image", code="not_image") from None
        raise ImageRefused(
            f"a {other} image; only PNG, JPEG and WebP are kept",
            code="unsupported_image_format",
        ) from None
    except _DECODE_ERRORS as exc:
        raise ImageRefused(f"cannot be read: {exc}", code="corrupt_image") from None
    with image:
        yield image


def _has_our_signature(data: bytes) -> bool:
    """True when `data` starts as a PNG, JPEG or WebP file does."""
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def _other_format(data: bytes) -> str | None:
    """The name of the format Pillow sees in `data` (GIF, BMP, TIFF...), from the header
    only (nothing is decoded), or None when it is no image at all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.format
    except _DECODE_ERRORS:  # UnidentifiedImageError is an OSError
        return None


def _bare_pixels(image: Image.Image, format: str, icc_profile: bytes | None) -> Image.Image:
    """A new image holding only `image`'s pixels, in a mode `format` can be written in:
    no `info` (EXIF, XMP, comments, profile) can ride along into the encoder."""
    if icc_profile:
        image = _to_srgb(image, icc_profile)
    kept = _KEPT_MODES[format]
    if image.mode not in kept:
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha and "RGBA" in kept else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """`image` converted from its embedded colour profile to sRGB, so that dropping the
    profile does not change how it looks; unchanged when the profile cannot be used."""
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    assert converted is not None  # inPlace=False returns the new image
    return converted


def _save(image: Image.Image, format: str, out: io.BytesIO, *, lossless: bool) -> None:
    """Encode `image` in `format`, with nothing but its pixels; a WebP that was lossless
    stays lossless."""
    if format == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True)
    elif format == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, lossless=lossless)
    else:
        image.save(out, "PNG", optimize=False)


def _is_lossless_webp(data: bytes) -> bool:
    """True for a WebP whose picture is a VP8L (lossless) chunk: the RIFF chunks are walked
    from the start (an extended file has VP8X, maybe ICCP, before it)."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return False
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc in (b"VP8L", b"VP8 "):
            return fourcc == b"VP8L"
        (size,) = struct.unpack_from("<I", data, offset + 4)
        offset += 8 + size + (size & 1)
    return False
