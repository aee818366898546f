"""Slow senders and malformed bodies against a live gunicorn with the default four workers of
four threads: a client that trickles its request costs the server a connection, never a thread
(the health probe keeps answering), and a body whose framing is wrong is answered 400 with the
usual JSON error, never 500. Bounded: the attack lasts 30 s and every socket is closed."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import CLI, SAMPLE_AUDIO, _fresh_database
from tests.live.conftest import LIVE_ENV, live_app_in
from tests.live_server import LiveApp, clean_env, serve

pytestmark = pytest.mark.slow

SENDERS = 50
ATTACK_SECONDS = 30.0
PROBE_EVERY = 0.5
PROBE_WITHIN = 1.0
TRICKLE = b"xxxxx"  # sent to every slow connection once a second: 5 bytes/s


@pytest.fixture(scope="module")
def database(admin_url: str, template_db: str) -> Iterator[str]:
    yield from _fresh_database(admin_url, template_db)


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """`crowdsource serve` as an operator starts it: four workers of four threads."""
    workdir = tmp_path_factory.mktemp("slow") / "live"
    with live_app_in(workdir, database, WEB_CONCURRENCY="4", THREADS="4") as app:
        yield app


# -- raw HTTP -----------------------------------------------------------------------------


def connect(url: str, timeout: float = 10) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def read_answer(sock: socket.socket, buffer: bytearray) -> Answer:
    """One response from `sock` (its bytes start in `buffer`, which keeps what follows)."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a response: {bytes(buffer)!r}")
        buffer += data
    head, _, _ = bytes(buffer).partition(b"\r\n\r\n")
    del buffer[: len(head) + 4]
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        data = sock.recv(65536)
        if not data:
            break
        buffer += data
    body = bytes(buffer[:length])
    del buffer[:length]
    return Answer(int(status_line.split()[1]), headers, body)


def exchange(url: str, raw: bytes, *, then_close_writing: bool = False) -> Answer:
    """Send `raw` on a new connection (half-closed after it when asked); the first answer."""
    with connect(url) as sock:
        sock.sendall(raw)
        if then_close_writing:
            sock.shutdown(socket.SHUT_WR)
        return read_answer(sock, bytearray())


def head(method: str, path: str, *lines: str) -> bytes:
    text = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{ln}\r\n" for ln in lines)
    return (text + "\r\n").encode()


def multipart_upload(item_id: int) -> tuple[bytes, str]:
    """A recording upload as a browser sends it: the body and its Content-Type."""
    boundary = uuid.uuid4().hex
    audio = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="item_id"\r\n\r\n{item_id}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="idempotency_key"\r\n\r\n'
        f"{uuid.uuid4().hex}\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="take.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n",
    ]
    body = "".join(parts).encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def a_session(url: str) -> requests.Session:
    """A person with a session (until sessions exist, writes work without one: 404/405 then)."""
    person = requests.Session()
    answer = person.post(f"{url}/api/v1/session", timeout=10)
    assert answer.status_code in (200, 201, 404, 405), answer.text
    return person


def cookie_header(person: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in person.cookies.items())


def a_sentence(url: str, person: requests.Session) -> int:
    batch = person.get(f"{url}/api/v1/languages/hi/sentences?count=1", timeout=10).json()
    return int(batch["sentences"][0]["id"])


def upload(url: str, person: requests.Session) -> requests.Response:
    body, content_type = multipart_upload(a_sentence(url, person))
    return person.post(
        f"{url}/api/v1/recordings",
        data=body,
        headers={"Content-Type": content_type},
        timeout=30,
    )


# -- the attack ---------------------------------------------------------------------------


@dataclass
class SlowSender:
    """One attacker's slot: a connection that trickles its request, opened again whenever the
    server closes it. Even slots trickle a body, odd ones their headers."""

    url: str
    slot: int
    sock: socket.socket | None = None
    closed_by_server: int = 0
    statuses: list[int] = field(default_factory=list)

    def open(self) -> None:
        self.sock = connect(self.url, timeout=5)
        if self.slot % 2 == 0:
            opening = head(
                "POST", "/api/v1/recordings",
                "Content-Type: multipart/form-data; boundary=b",
                f"Content-Length: {4 * 1024 * 1024}",
            )  # fmt: skip
        else:
            opening = b"POST /api/v1/recordings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
        self.sock.sendall(opening)

    def trickle(self) -> None:
        """Five more bytes; a connection the server closed is counted and opened again."""
        assert self.sock is not None
        try:
            self.sock.send(TRICKLE)
        except OSError:
            self.server_closed(b"")

    def server_closed(self, answer: bytes) -> None:
        if answer.startswith(b"HTTP/1.1 "):
            self.statuses.append(int(answer.split()[1]))
        self.closed_by_server += 1
        self.close()
        self.open()

    def on_readable(self) -> None:
        """The server said something: an answer (408), then the end of the connection."""
        assert self.sock is not None
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        self.server_closed(data)

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


def run_slow_senders(senders: list[SlowSender], stop: threading.Event) -> None:
    """Keeps every slot trickling 5 bytes a second until `stop`; closes every socket."""
    try:
        for sender in senders:
            sender.open()
        next_tick = time.monotonic()
        while not stop.is_set():
            socks = {s.sock: s for s in senders if s.sock is not None}
            readable, _, _ = select.select(list(socks), [], [], 0.2)
            for sock in readable:
                socks[sock].on_readable()
            if time.monotonic() >= next_tick:
                for sender in senders:
                    sender.trickle()
                next_tick += 1.0
    finally:
        for sender in senders:
            sender.close()


@dataclass
class Probe:
    """A liveness probe: GET /healthz every half second on a new connection."""

    url: str
    results: list[tuple[float, int | str, float]] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status: int | str = requests.get(f"{self.url}/healthz", timeout=5).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.results.append((started, status, time.monotonic() - started))
            stop.wait(max(0.0, PROBE_EVERY - (time.monotonic() - started)))


def normal_traffic(url: str) -> list[tuple[str, int | str]]:
    """A person's visit meanwhile: a session, a sentence, an upload, a profile (JSON)."""
    try:
        person = a_session(url)
        uploaded = upload(url, person).status_code
        profile = person.put(f"{url}/api/v1/me/profile", json={}, timeout=10).status_code
    except requests.RequestException as exc:
        return [("visit", type(exc).__name__)]
    return [("upload", uploaded), ("profile", profile)]


def test_fifty_slow_senders_for_thirty_seconds_never_delay_the_health_probe(
    server: LiveApp,
) -> None:
    senders = [SlowSender(server.url, slot) for slot in range(SENDERS)]
    probe = Probe(server.url)
    stop = threading.Event()
    attack = threading.Thread(target=run_slow_senders, args=(senders, stop), daemon=True)
    prober = threading.Thread(target=probe.run, args=(stop,), daemon=True)
    attack.start()
    time.sleep(2)  # every slow connection open and trickling
    prober.start()
    normal: list[tuple[str, int | str]] = []
    try:
        end = time.monotonic() + ATTACK_SECONDS - 2
        while time.monotonic() < end:
            normal.extend(normal_traffic(server.url))
            time.sleep(min(5.0, max(0.0, end - time.monotonic())))
    finally:
        stop.set()
        attack.join(timeout=30)
        prober.join(timeout=30)
    assert not attack.is_alive() and not prober.is_alive()

    late = [(round(t, 1), status, round(took, 2)) for t, status, took in probe.results
            if status != 200 or took > PROBE_WITHIN]  # fmt: skip
    assert len(probe.results) >= 40, probe.results
    assert late == [], f"{len(late)} of {len(probe.results)} probes failed or were late: {late}"
    assert normal and all(status in (200, 201) for _, status in normal), normal
    # Past the deadlines the server closes every slow connection itself (408, or just closed).
    assert all(sender.closed_by_server >= 1 for sender in senders), [
        (s.slot, s.closed_by_server) for s in senders
    ]
    statuses = {status for sender in senders for status in sender.statuses}
    assert statuses <= {408}, statuses


# -- malformed framing ------------------------------------------------------------------------

UPLOAD = ("POST", "/api/v1/recordings", "Content-Type: multipart/form-data; boundary=b")
CHUNKED = "Transfer-Encoding: chunked"

# case -> (framing headers, the bytes after the head, whether the client then stops sending)
MALFORMED: dict[str, tuple[tuple[str, ...], bytes, bool]] = {
    "chunk size not hex": ((CHUNKED,), b"zz\r\nhello\r\n0\r\n\r\n", False),
    "negative chunk size": ((CHUNKED,), b"-5\r\nhello\r\n0\r\n\r\n", False),
    "chunk longer than its size": ((CHUNKED,), b"3\r\nhello\r\n0\r\n\r\n", False),
    "chunked body cut short": ((CHUNKED,), b"5\r\nhello\r\n", True),
    "chunk size line cut short": ((CHUNKED,), b"5\r\nhel", True),
    "body shorter than its length": (("Content-Length: 100",), b"x" * 10, True),
    "length not a number": (("Content-Length: abc",), b"abc", False),
    "negative length": (("Content-Length: -1",), b"", False),
    "two lengths": (("Content-Length: 3", "Content-Length: 5"), b"abcde", False),
    "chunked and a length": ((CHUNKED, "Content-Length: 5"), b"0\r\n\r\n", False),
    "coding that is not chunked last": (("Transfer-Encoding: gzip",), b"x", False),
}


@pytest.fixture(scope="module")
def cookie(server: LiveApp) -> str:
    """A session's Cookie header: with it the upload route reads the body (without, it
    refuses the write before reading)."""
    return f"Cookie: {cookie_header(a_session(server.url))}"


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_body_is_answered_400_not_500(server: LiveApp, cookie: str, case: str) -> None:
    framing, rest, then_close_writing = MALFORMED[case]
    raw = head(*UPLOAD, cookie, *framing) + rest
    answer = exchange(server.url, raw, then_close_writing=then_close_writing)
    assert answer.status == 400, (answer.status, answer.body)
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and error["message"]


def test_the_development_server_answers_a_malformed_chunked_body_400_too(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`crowdsource serve --dev` (werkzeug's server) hands the body to the app, which reads it
    through app/security/body_errors.py."""
    workdir = tmp_path_factory.mktemp("dev")
    settings = {**LIVE_ENV, "STORAGE_DIR": str(workdir / "storage"), "DATABASE_URL": database}
    with serve(CLI(clean_env(), workdir), "--dev", "--no-demo", "--refresh-every", "off",
               **settings) as dev:  # fmt: skip
        person = a_session(dev.url)
        raw = head("PUT", "/api/v1/me/profile", "Content-Type: application/json", CHUNKED,
                   f"Cookie: {cookie_header(person)}") + b"zz\r\n{}\r\n0\r\n\r\n"  # fmt: skip
        answer = exchange(dev.url, raw)
    assert answer.status == 400, answer.body
    assert answer.json()["error"]["code"] == "invalid_input"


def test_a_body_over_the_upload_limit_is_refused_before_it_is_sent(
    server: LiveApp, cookie: str
) -> None:
    answer = exchange(server.url, head(*UPLOAD, cookie, f"Content-Length: {200 * 1024 * 1024}"))
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "too_large"


def test_a_chunked_upload_is_stored(server: LiveApp) -> None:
    person = a_session(server.url)
    body, content_type = multipart_upload(a_sentence(server.url, person))
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in _pieces(body, 7000))
    raw = head(
        "POST", "/api/v1/recordings", f"Content-Type: {content_type}", CHUNKED,
        f"Cookie: {cookie_header(person)}",
    ) + chunks + b"0\r\n\r\n"  # fmt: skip
    answer = exchange(server.url, raw)
    assert answer.status == 201, answer.body


def test_an_upload_that_expects_100_continue_gets_it_once(server: LiveApp) -> None:
    person = a_session(server.url)
    body, content_type = multipart_upload(a_sentence(server.url, person))
    opening = head(
        "POST", "/api/v1/recordings", f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}", "Expect: 100-continue", f"Cookie: {cookie_header(person)}",
    )  # fmt: skip
    with connect(server.url) as sock:
        sock.sendall(opening)
        buffer = bytearray()
        assert read_answer(sock, buffer).status == 100
        sock.sendall(body)
        assert read_answer(sock, buffer).status == 201


def test_kept_alive_and_pipelined_requests_are_all_answered(server: LiveApp) -> None:
    with connect(server.url) as sock:
        buffer = bytearray()
        sock.sendall(head("GET", "/healthz") * 3)  # three requests in one packet
        assert [read_answer(sock, buffer).status for _ in range(3)] == [200, 200, 200]
        sock.sendall(head("GET", "/healthz"))  # the same connection, later
        assert read_answer(sock, buffer).status == 200
        # A body split in two sends, the second one after a pause.
        request = head("POST", "/api/v1/session", "Content-Length: 2")
        sock.sendall(request + b"{")
        time.sleep(0.5)
        sock.sendall(b"}")
        assert read_answer(sock, buffer).status in (200, 201, 404, 405)


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_the_server_log_has_no_traceback(server: LiveApp) -> None:
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
