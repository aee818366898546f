"""gunicorn's threaded worker, with each request read completely before a thread serves it.

gunicorn's gthread worker hands a connection to a thread as soon as it is readable; the thread
then blocks on the socket while the client sends the rest. A client sending its body at
10 bytes a second holds a thread for as long as it likes, and a few dozen of them held every
thread of a four-worker server: /healthz did not answer for 30 s (issue 15).

Here the worker's main thread, which already waits on every socket with one selector, also
reads each request (head and body, Content-Length or chunked) with non-blocking reads, and
submits it to the thread pool only once all of it is here. A slow sender costs a connection
and the bytes it sent, never a thread. Reading has deadlines (class attributes below): the
head within HEAD_SECONDS, then the body at MIN_BODY_RATE on average after a grace period,
with no pause over BODY_IDLE_SECONDS, and within BODY_MAX_SECONDS in all. A client past one
is answered 408 and closed. Framing gunicorn would refuse (app/server/framing.py) is answered
400, a body over the app's MAX_CONTENT_LENGTH 413, all with the app's JSON error shape.

The buffered request is then served to gunicorn's own parser from memory (`FeedUnreader`), so
everything gunicorn checks it still checks; bytes sent after it (pipelining) start the next
request. Closing a connection lingers without blocking this loop (gunicorn's lingering close
waits up to 2 s on the main thread, which a client could make it do on purpose). TLS, HTTP/2
and the PROXY protocol are not used here; with any of them configured the worker behaves
exactly as gthread does.
"""

from __future__ import annotations

import contextlib
import errno
import http
import json
import selectors
import socket
import time
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from app.server.framing import Refusal, RequestFramer

# With no MAX_CONTENT_LENGTH on the app, bodies are limited to this.
DEFAULT_MAX_BODY = 16 * 1024 * 1024
LINGER_SECONDS = 2.0  # after an answer we close on, as gunicorn's close_graceful
READS_PER_EVENT = 16  # at 64 KiB each: a fast sender cannot keep the loop to itself
FEED_PIECE = 1024 * 1024


@dataclass
class Incoming:
    """A request being read: its framing, and the clock its deadlines are measured by."""

    framer: RequestFramer
    started: float
    last_data: float
    head_done: float | None = None


class BufferedConn(TConn):
    """gunicorn's connection, plus the request read for it and the bytes after that."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.incoming: Incoming | None = None
        self.request: bytes | None = None  # read, waiting for a thread
        self.rest = b""  # sent after the request (pipelined), not yet framed
        self.watched = False  # registered with the selector by this module
        self.continue_sent = False


class FeedUnreader(Unreader):
    """gunicorn's parser reads one buffered request from here, never from the socket."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = memoryview(data)
        self._at = 0

    def chunk(self, size_hint: int | None = None) -> bytes:
        """The next piece of the request; b"" once it has all been read."""
        size = min(max(size_hint or 0, 64 * 1024), FEED_PIECE)
        piece = bytes(self._data[self._at : self._at + size])
        self._at += len(piece)
        return piece

    def take_rest(self) -> bytes:
        """What the parser did not consume (given back or never read)."""
        rest = self.take_buffered() + bytes(self._data[self._at :])
        self._at = len(self._data)
        return rest


class BufferedThreadWorker(ThreadWorker):
    """gthread, with requests read by the main thread under deadlines (module docstring)."""

    HEAD_SECONDS = 10.0  # from the connection (or its next request) to a complete head
    BODY_GRACE_SECONDS = 10.0  # before the minimum rate applies
    MIN_BODY_RATE = 1024  # bytes/s on average: a slow 2G phone sends several times that
    BODY_IDLE_SECONDS = 30.0  # the longest pause in a body
    BODY_MAX_SECONDS = 300.0  # a whole body, however it is sent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_body = DEFAULT_MAX_BODY
        self.buffering = (
            not self.cfg.is_ssl
            and "h2" not in getattr(self.cfg, "http_protocols", ["h1"])
            and getattr(self.cfg, "proxy_protocol", "off") in ("off", False, None)
        )
        self.reading: set[BufferedConn] = set()
        self.lingering: dict[BufferedConn, float] = {}
        self.next_check = 0.0

    def load_wsgi(self) -> None:
        """Loads the app, and takes its body limit (Flask's MAX_CONTENT_LENGTH)."""
        super().load_wsgi()
        limit = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH")
        if isinstance(limit, int) and limit > 0:
            self.max_body = limit

    # -- gunicorn's hooks ---------------------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        """As gthread accepts, with our connection class; reading starts at once."""
        if not self.buffering:
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.enqueue_req(BufferedConn(self.cfg, client, address, listener.getsockname()))

    def enqueue_req(self, conn: Any) -> None:
        """gthread calls this (on the main thread) when a connection may carry a request: a new
        one, a kept-alive one that became readable, one with pipelined bytes. Reading it
        starts here; the thread pool gets it once the request is complete."""
        if not isinstance(conn, BufferedConn):
            super().enqueue_req(conn)
            return
        pending = conn.rest
        if conn.parser is not None and isinstance(conn.parser.unreader, FeedUnreader):
            pending = conn.parser.unreader.take_rest() + pending
        now = time.monotonic()
        conn.rest = b""
        conn.incoming = Incoming(RequestFramer(self.max_body), started=now, last_data=now)
        conn.sock.setblocking(False)
        self.reading.add(conn)
        if not pending or self._take(conn, pending):
            self._receive(conn)

    def handle(self, conn: Any) -> Any:
        """In a thread: serve the request read for `conn` from memory, then as gthread does."""
        if isinstance(conn, BufferedConn) and conn.request is not None:
            conn.sock.setblocking(True)
            conn.init()  # the parser; reads nothing without TLS or HTTP/2
            conn.parser.unreader = FeedUnreader(conn.request)
            conn.request = None
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        if getattr(conn, "continue_sent", False):
            # We sent "100 Continue" while reading the body; gunicorn would send it again.
            req._expected_100_continue = False
            conn.continue_sent = False
        return super().handle_request(req, conn)

    def finish_request(self, conn: Any, fs: Future[Any]) -> None:
        """On the main thread once a thread is done: keep the connection (reading the next
        request) or close it, lingering without blocking this loop."""
        if not isinstance(conn, BufferedConn) or fs.cancelled() or fs.exception() is not None:
            super().finish_request(conn, fs)
            return
        if fs.result():
            if isinstance(conn.parser.unreader, FeedUnreader):
                # gthread looks for pipelined bytes in the parser's buffer: put them there.
                conn.parser.unreader.unread(conn.parser.unreader.take_rest() + conn.rest)
                conn.rest = b""
            super().finish_request(conn, fs)
            return
        self._linger(conn)

    def murder_pending(self) -> None:
        """Called by gthread's loop about once a second: enforces the reading deadlines."""
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_check:  # the loop turns once per batch of events: not every turn
            return
        self.next_check = now + 0.5
        for conn in list(self.reading):
            incoming = conn.incoming
            if incoming is None:
                continue
            if not incoming.framer.started and (not self.alive or self._head_late(incoming, now)):
                self._close(conn)  # nothing sent: nothing to answer
            elif self._head_late(incoming, now) or self._body_late(incoming, now):
                self._refuse(conn, _timeout())
        for conn, deadline in list(self.lingering.items()):
            if now >= deadline:
                self._close(conn)

    # -- reading ----------------------------------------------------------------------------

    def _receive(self, conn: BufferedConn) -> None:
        """Reads what the socket has; waits on the selector for more."""
        for _ in range(READS_PER_EVENT):
            try:
                data = conn.sock.recv(64 * 1024)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(conn)
                return
            if not data:
                self._at_eof(conn)
                return
            if not self._take(conn, data):
                return
        self._watch(conn, partial(self._on_readable, conn))

    def _on_readable(self, conn: BufferedConn, _fileobj: Any) -> None:
        self._receive(conn)

    def _take(self, conn: BufferedConn, data: bytes) -> bool:
        """Feeds bytes to the framing; True while the request is still incomplete."""
        incoming = conn.incoming
        assert incoming is not None
        incoming.last_data = time.monotonic()
        try:
            incoming.framer.feed(data)
        except Refusal as refusal:
            self._refuse(conn, refusal)
            return False
        head = incoming.framer.head
        if head is not None and incoming.head_done is None:
            incoming.head_done = incoming.last_data
            if head.expects_continue and not incoming.framer.complete:
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
                conn.continue_sent = True
        if incoming.framer.complete:
            self._dispatch(conn)
            return False
        return True

    def _at_eof(self, conn: BufferedConn) -> None:
        """The client stopped sending: a cut-off request is answered 400, anything else closed."""
        assert conn.incoming is not None
        refusal = conn.incoming.framer.refusal_at_eof()
        if refusal is None:
            self._close(conn)
        else:
            self._refuse(conn, refusal)

    def _dispatch(self, conn: BufferedConn) -> None:
        """The request is complete: a thread serves it."""
        self._unwatch(conn)
        assert conn.incoming is not None
        conn.request, conn.rest = conn.incoming.framer.request_and_rest()
        conn.incoming = None
        conn.data_ready = True  # gthread would otherwise wait for the socket to be readable
        super().enqueue_req(conn)

    def _head_late(self, incoming: Incoming, now: float) -> bool:
        return incoming.head_done is None and now - incoming.started > self.HEAD_SECONDS

    def _body_late(self, incoming: Incoming, now: float) -> bool:
        """Over the body's deadlines: too slow on average, paused too long, or too long."""
        framer, done = incoming.framer, incoming.head_done
        if done is None or framer.head is None:
            return False
        elapsed = now - done
        received = len(framer.buffer) - framer.head.size
        too_slow = received < self.MIN_BODY_RATE * (elapsed - self.BODY_GRACE_SECONDS)
        idle = now - incoming.last_data > self.BODY_IDLE_SECONDS
        return too_slow or idle or elapsed > self.BODY_MAX_SECONDS

    # -- answering and closing ----------------------------------------------------------------

    def _refuse(self, conn: BufferedConn, refusal: Refusal) -> None:
        """Answers `refusal` itself (no thread, no app) and closes the connection."""
        self.log.info("request refused before the app: %s %s", refusal.status, refusal.code)
        self._send(conn, _answer(refusal))
        self._linger(conn)

    def _send(self, conn: BufferedConn, data: bytes) -> None:
        # A few hundred bytes: the socket's send buffer takes them whole, or the client is gone.
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def _linger(self, conn: BufferedConn) -> None:
        """Half-closes, then reads and drops what the client still sends for LINGER_SECONDS
        (closing with unread bytes would reset the connection and lose our answer)."""
        self._unwatch(conn)
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
            self._watch(conn, partial(self._on_lingering_readable, conn))
        except (OSError, ValueError):
            self._close(conn)
            return
        self.lingering[conn] = time.monotonic() + LINGER_SECONDS

    def _on_lingering_readable(self, conn: BufferedConn, _fileobj: Any) -> None:
        try:
            data = conn.sock.recv(64 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)

    def _close(self, conn: BufferedConn) -> None:
        self._unwatch(conn)
        self.reading.discard(conn)
        self.lingering.pop(conn, None)
        conn.incoming = None
        self.nr_conns -= 1
        conn.close()

    def _watch(self, conn: BufferedConn, callback: Any) -> None:
        if conn.watched:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
            conn.watched = True

    def _unwatch(self, conn: BufferedConn) -> None:
        self.reading.discard(conn)
        if conn.watched:
            conn.watched = False
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)


def _timeout() -> Refusal:
    return Refusal(408, "request_timeout", "The request did not arrive in time. Please retry.")


def _answer(refusal: Refusal) -> bytes:
    """A complete HTTP response with the app's JSON error shape, closing the connection."""
    body = json.dumps({"error": {"code": refusal.code, "message": refusal.message}}).encode()
    head = (
        f"HTTP/1.1 {refusal.status} {http.HTTPStatus(refusal.status).phrase}\r\n"
        f"Date: {util.http_date()}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
