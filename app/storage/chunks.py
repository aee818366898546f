"""The iterator behind `StoredObject.chunks` for backends that hold a resource while streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterator


class ClosingChunks(Iterator[bytes]):
    """Yields `chunks` and calls `release` once: at the end, on error, or on `close()`.

    A plain generator would not do: closing one that never started skips its `finally`, and
    a WSGI server closes the response iterable without starting it when a client leaves early,
    which would keep a file or an HTTP connection open until garbage collection.
    """

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __next__(self) -> bytes:
        """Return the next chunk; release the resource when there are no more or on error."""
        if self._release is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the resource now (safe to call more than once)."""
        release, self._release = self._release, None
        if release is not None:
            release()
