"""Where one HTTP/1.1 request ends, found while its bytes arrive (no I/O here).

The buffering worker (app/server/worker.py) reads a request completely before a thread serves
it; this module tells it when the request is complete, and refuses one whose framing is wrong.
The rules are gunicorn's (gunicorn/http/message.py `set_body_reader`, gunicorn/http/body.py
`ChunkedReader`): where we could disagree with gunicorn about where a body ends, a request
could be split differently by the two (request smuggling), so anything gunicorn would refuse
for its framing is refused here, and nothing else. Whatever else is wrong with a head (a bad
request line, a bad header name) is left to gunicorn's parser, which answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gunicorn.http.body import CHUNK_EXT_RE

MAX_HEAD_BYTES = 64 * 1024  # nginx's largest default is 4 x 8 KiB
MAX_CHUNK_LINE_BYTES = 8190  # gunicorn's limit for a chunk-size line
MAX_TRAILER_BYTES = 8190 * 32  # gunicorn's limit for the trailer section

_HEX = frozenset(b"0123456789abcdefABCDEF")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)\Z")
# Codings gunicorn accepts before `chunked` (it refuses every other one).
_CODINGS_BEFORE_CHUNKED = frozenset({"identity", "compress", "deflate", "gzip"})


class Refusal(Exception):
    """A request the worker answers itself (status, code, message), then closes."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def malformed(why: str) -> Refusal:
    """A 400 for a body whose framing is wrong (the app answers a body it cannot read alike)."""
    return Refusal(400, "invalid_input", f"The request body could not be read: {why}.")


def too_large() -> Refusal:
    return Refusal(413, "too_large", "The request is larger than this endpoint accepts.")


@dataclass(frozen=True)
class Head:
    """What the framing needs from a request head."""

    size: int  # bytes, the blank line included
    content_length: int | None
    chunked: bool
    expects_continue: bool


def read_head(head: bytes) -> Head:
    """The framing of a complete head (`head` ends with the blank line); raises Refusal where
    gunicorn would refuse it for its Content-Length or Transfer-Encoding."""
    request_line, *lines = head[:-4].split(b"\r\n")
    found = _VERSION.search(request_line)
    version = (int(found[1]), int(found[2])) if found else (1, 1)
    lengths: list[bytes] = []
    codings: list[str] = []
    expects_continue = False
    for line in lines:
        name, _, value = line.partition(b":")
        name = name.lower()
        value = value.strip(b" \t")
        if name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            codings += [c.strip(" \t").lower() for c in value.decode("latin-1").split(",")]
        elif name == b"expect":
            expects_continue = value.lower() == b"100-continue" and version >= (1, 1)
    chunked = _chunked(codings, version, lengths)
    return Head(len(head), None if chunked else _length(lengths), chunked, expects_continue)


def _chunked(codings: list[str], version: tuple[int, int], lengths: list[bytes]) -> bool:
    if not codings:
        return False
    *before, last = codings
    if last != "chunked" or any(c not in _CODINGS_BEFORE_CHUNKED for c in before):
        raise malformed("its Transfer-Encoding must end with chunked, once")
    if version < (1, 1):
        raise malformed("HTTP/1.0 has no chunked encoding")
    if lengths:
        raise malformed("it has both a Content-Length and a Transfer-Encoding")
    return True


def _length(lengths: list[bytes]) -> int | None:
    if not lengths:
        return None  # a request without either has no body
    if len(lengths) > 1:
        raise malformed("it has more than one Content-Length")
    if not lengths[0] or not lengths[0].isdigit():
        raise malformed("its Content-Length is not a whole number")
    return int(lengths[0])


class RequestFramer:
    """Follows one request as its bytes are fed in: `complete` once all of it is here, then
    `request_and_rest` splits it from what the client sent after it (pipelining). `feed`
    raises Refusal as soon as the framing is wrong or the body exceeds `max_body` bytes."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.buffer = bytearray()
        self.head: Head | None = None
        self.end: int | None = None  # where the request ends in the buffer, once known
        self._next = 0  # chunked: where the next chunk-size line (or trailer line) starts
        self._decoded = 0  # chunked: body bytes so far
        self._trailers_from: int | None = None

    @property
    def complete(self) -> bool:
        return self.end is not None

    @property
    def started(self) -> bool:
        return bool(self.buffer)

    def feed(self, data: bytes) -> None:
        """Adds bytes read from the client and advances the framing."""
        self.buffer += data
        if self.end is not None:
            return
        if self.head is None:
            while self.buffer[:2] == b"\r\n":  # RFC 9112 2.2: empty lines before a request
                del self.buffer[:2]
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    raise Refusal(431, "headers_too_large", "The request headers are too large.")
                return
            self.head = read_head(bytes(self.buffer[: end + 4]))
            self._next = self.head.size
            length = self.head.content_length
            if length is not None and length > self.max_body:
                raise too_large()
        if self.head.chunked:
            self._advance_chunks()
        elif len(self.buffer) >= self.head.size + (self.head.content_length or 0):
            self.end = self.head.size + (self.head.content_length or 0)

    def refusal_at_eof(self) -> Refusal | None:
        """The answer to a client that stopped sending (EOF) before the request was complete:
        a 400 once its head is here, none (just close) before."""
        if self.head is None or self.end is not None:
            return None
        if self.head.chunked:
            return malformed("the chunked body ended before its last chunk")
        return malformed("the body is shorter than its Content-Length")

    def request_and_rest(self) -> tuple[bytes, bytes]:
        """The complete request's bytes, and the bytes after it."""
        assert self.end is not None
        return bytes(self.buffer[: self.end]), bytes(self.buffer[self.end :])

    def _advance_chunks(self) -> None:
        buffer = self.buffer
        while self.end is None:
            line_end = buffer.find(b"\r\n", self._next)
            if self._trailers_from is not None:
                if line_end < 0:
                    if len(buffer) - self._trailers_from > MAX_TRAILER_BYTES:
                        raise malformed("its trailer section is too large")
                    return
                if line_end == self._next:  # the empty line that ends the trailers
                    self.end = line_end + 2
                    return
                self._next = line_end + 2
                continue
            if line_end < 0:
                if len(buffer) - self._next > MAX_CHUNK_LINE_BYTES:
                    raise malformed("a chunk-size line is too long")
                return
            size = _chunk_size(bytes(buffer[self._next : line_end]))
            if size == 0:
                self._trailers_from = self._next = line_end + 2
                continue
            if self._decoded + size > self.max_body:
                raise too_large()
            data_end = line_end + 2 + size
            if len(buffer) < data_end + 2:
                return
            if buffer[data_end : data_end + 2] != b"\r\n":
                raise malformed("a chunk is longer than its size says")
            self._decoded += size
            self._next = data_end + 2


def _chunk_size(line: bytes) -> int:
    """A chunk-size line's size, checked as gunicorn checks it (RFC 9112 7.1)."""
    size, semicolon, extension = line.partition(b";")
    if semicolon:
        if b"\r" in extension or not CHUNK_EXT_RE.fullmatch(b";" + extension):
            raise malformed("a chunk extension is malformed")
        size = size.rstrip(b" \t")
    if not size or any(byte not in _HEX for byte in size):
        raise malformed("a chunk size is not a hexadecimal number")
    return int(size, 16)
