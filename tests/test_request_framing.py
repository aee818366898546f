"""Where a request ends (app/server/framing.py), as the buffering worker finds it while the
bytes arrive: the same place gunicorn's own parser finds, and a refusal for framing gunicorn
refuses."""

from __future__ import annotations

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from app.server.framing import MAX_HEAD_BYTES, Refusal, RequestFramer

LIMIT = 1000


def framed(*pieces: bytes, limit: int = LIMIT) -> RequestFramer:
    framer = RequestFramer(limit)
    for piece in pieces:
        framer.feed(piece)
    return framer


def byte_by_byte(data: bytes) -> RequestFramer:
    return framed(*(data[i : i + 1] for i in range(len(data))))


def refusal(*pieces: bytes, limit: int = LIMIT) -> Refusal:
    with pytest.raises(Refusal) as caught:
        framed(*pieces, limit=limit)
    return caught.value


def body_as_gunicorn_reads_it(request: bytes) -> tuple[bytes, bytes]:
    """gunicorn's parser on exactly these bytes: the body it reads and what it leaves."""
    parser = RequestParser(Config(), iter([request]), ("127.0.0.1", 1))
    message = next(parser)
    body = message.body.read()
    return body, parser.unreader.take_buffered()


POST = b"POST /api/v1/recordings HTTP/1.1\r\nHost: x\r\n"
CHUNKED_BODY = b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"


def test_a_body_of_known_length_is_complete_with_its_last_byte() -> None:
    framer = framed(POST + b"Content-Length: 11\r\n\r\nhello")
    assert not framer.complete
    framer.feed(b" world" + b"GET / HTTP/1.1\r\n")
    assert framer.complete
    request, rest = framer.request_and_rest()
    assert request.endswith(b"\r\n\r\nhello world")
    assert rest == b"GET / HTTP/1.1\r\n"
    assert body_as_gunicorn_reads_it(request) == (b"hello world", b"")


def test_a_request_without_a_body_is_complete_with_its_head() -> None:
    framer = framed(b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /")
    assert framer.complete
    assert framer.request_and_rest() == (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /")


def test_a_chunked_body_sent_byte_by_byte_ends_where_gunicorn_says() -> None:
    request = POST + b"Transfer-Encoding: chunked\r\n\r\n" + CHUNKED_BODY
    framer = byte_by_byte(request + b"NEXT")
    assert framer.complete
    assert framer.request_and_rest() == (request, b"NEXT")
    assert body_as_gunicorn_reads_it(request) == (b"hello world", b"")


def test_an_empty_chunked_body_and_codings_before_chunked_are_read() -> None:
    request = POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    assert framed(request).request_and_rest() == (request, b"")


def test_expect_100_continue_is_noticed_on_http_1_1_only() -> None:
    expect = b"Content-Length: 3\r\nExpect: 100-Continue\r\n\r\n"
    head = framed(POST + expect).head
    assert head is not None and head.expects_continue
    old = framed(b"POST / HTTP/1.0\r\n" + expect).head
    assert old is not None and not old.expects_continue


@pytest.mark.parametrize(
    "framing, rest",
    [
        (b"Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"\r\nhello\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"3\r\nhello\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"5;=bad\r\nhello\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"5" * 9000),
        (b"Transfer-Encoding: chunked, chunked\r\n", b"0\r\n\r\n"),
        (b"Transfer-Encoding: chunked, gzip\r\n", b"0\r\n\r\n"),
        (b"Transfer-Encoding: br, chunked\r\n", b"0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n"),
        (b"Content-Length: abc\r\n", b""),
        (b"Content-Length: -1\r\n", b""),
        (b"Content-Length: +5\r\n", b""),
        (b"Content-Length: 3\r\nContent-Length: 3\r\n", b"abc"),
    ],
)
def test_framing_gunicorn_refuses_is_refused_400(framing: bytes, rest: bytes) -> None:
    refused = refusal(POST + framing + b"\r\n" + rest)
    assert (refused.status, refused.code) == (400, "invalid_input")


def test_chunked_on_http_1_0_is_refused() -> None:
    refused = refusal(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert refused.status == 400


def test_a_body_over_the_limit_is_refused_413_before_it_arrives() -> None:
    assert refusal(POST + b"Content-Length: 1001\r\n\r\n").status == 413
    chunked = POST + b"Transfer-Encoding: chunked\r\n\r\n"
    assert refusal(chunked + b"3e8\r\n" + b"x" * 1000 + b"\r\n1\r\n").status == 413
    assert framed(chunked + b"3e8\r\n" + b"x" * 1000 + b"\r\n0\r\n\r\n").complete


def test_a_head_that_never_ends_is_refused_431() -> None:
    assert refusal(POST + b"X-Pad: " + b"a" * MAX_HEAD_BYTES).status == 431


def test_a_request_cut_short_is_refused_at_eof_once_its_head_is_here() -> None:
    assert framed(b"POST / HTTP/1.1\r\nHost").refusal_at_eof() is None
    short = framed(POST + b"Content-Length: 10\r\n\r\nabc").refusal_at_eof()
    assert short is not None and short.status == 400
    unfinished = framed(POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    cut = unfinished.refusal_at_eof()
    assert cut is not None and cut.status == 400
    assert framed(POST + b"Content-Length: 1\r\n\r\na").refusal_at_eof() is None
