"""Images made with Pillow for the ingest tests: pictures whose turn shows, phone EXIF with a
GPS position, and a decompression bomb's header."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def picture(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """A picture with a red left half and a blue right half, so a turn shows."""
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    """`image` saved in `format` with Pillow's `options` (exif=, quality=...)."""
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: maker, orientation and where the picture was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 36.0, 50.0), 3: "E", 4: (77.0, 12.0, 30.0)})
    return exif


def reopened(data: bytes) -> Image.Image:
    """`data` opened and decoded by Pillow."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_claiming(width: int, height: int) -> bytes:
    """A real 1 x 1 PNG of a few dozen bytes whose header claims `width` x `height`: what a
    decompression bomb looks like before anyone decodes it."""
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)
