"""A zip written as it is sent: `stream_zip` yields its bytes entry by entry.

zipfile writes to an unseekable stream by putting a data descriptor after each entry (sizes
and CRC follow the data instead of being patched into the header), so the sink only has to
collect what is written and hand it on; it never holds more than one chunk of one entry.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

FLUSH_BYTES = 64 * 1024


@dataclass(frozen=True)
class Entry:
    """One file of the zip: its path, a function giving its bytes as chunks when its turn
    comes (None: the entry is left out), and whether to deflate it (audio is compressed
    already: stored as it is)."""

    name: str
    chunks: Callable[[], Iterable[bytes] | None]
    compress: bool = True


class _Sink:
    """An unseekable file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes wait in memory until `take`."""

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return out


def stream_zip(entries: Iterable[Entry]) -> Iterator[bytes]:
    """The zip of `entries`, yielded in pieces of about FLUSH_BYTES (and at each entry's end)."""
    sink = _Sink()
    stamp = time.gmtime()[:6]
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:  # type: ignore[call-overload]
        for entry in entries:
            chunks = entry.chunks()
            if chunks is None:
                continue
            info = zipfile.ZipInfo(entry.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as out:
                for chunk in chunks:
                    out.write(chunk)
                    if sink.size >= FLUSH_BYTES:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
