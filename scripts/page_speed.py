"""Page speed on a phone over Slow 3G (issue #21): each page's time to usable, first contentful
paint and bytes transferred, cold cache and warm cache, as a Markdown table.

    python scripts/page_speed.py                       # starts a server from this checkout
    python scripts/page_speed.py --source /tmp/before  # ... from another checkout (a before run)
    python scripts/page_speed.py --url http://127.0.0.1:8080 --pages speak,validate

The profile: Chromium (/usr/bin/chromium, headless) at 390×844, touch, Slow 3G (400 kbps down
and up, 2 s round trip) and a 4× CPU slowdown (`Emulation.setCPUThrottlingRate`).

The network is emulated by a proxy on 127.0.0.1 that the browser goes through (`--network
proxy`, the default): each direction's bytes leave in order at 400 kbps, shared by every
connection, and arrive 1 s later, so a request waits 2 s for its answer plus the time its bytes
take. CDP's `Network.emulateNetworkConditions` (`--network cdp`, what the first tables used)
slows only the page's own requests: a service worker's fetches pass at full speed, so a page
the worker fetched looked instant. Neither emulates the round trips of opening a connection
(a real 2 s network adds one or two per connection).

- **cold**: a new browser context (empty cache, no cookie) opens the page;
- **warm**: a second page in that context opens it again (cache, session cookie and service
  worker kept; the cold page stayed open until the worker had kept it), once nothing has
  crossed the network for 2 s (what the cold page left running, such as the
  service worker keeping the page and its files, has finished, as when a volunteer returns).

Measures, from navigation start:
- **usable**: the page's main control can be used (speak: Record enabled, or the optional
  profile step shown; validate: Play enabled on a clip, or the step shown when there is none;
  the other pages: their script has run
  and the `load` event fired, with nothing in `main` still `aria-busy`);
- **FCP**: the first contentful paint (Paint Timing);
- **KB**: bytes over the wire, both ways, until usable and `load` (counted by the proxy, so a
  service worker's fetches count too; with `--network cdp`, CDP's `encodedDataLength` of the
  page's own requests), headers and compressed bodies.

The device's fonts: this machine's (`--device-fonts all`; with Debian's fonts-noto-core it has
every Noto face, as Android phones do, so the pages' `local()` rules find them and fetch none),
or only DejaVu's Latin faces (`--device-fonts latin`, a phone without the script's font: the
pages then fetch their Noto WOFF2 faces).

Without `--url`, a server is started on 127.0.0.1 with the embedded defaults (a fresh embedded
PostgreSQL in a temporary folder, demo content loaded, and 8 Hindi recordings by two people from
tests/data/audio for validate to show) and stopped at the end. Every wait is
bounded (`--timeout` per page load, `--budget` for the whole run): the script stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]
SLOW_3G = {
    "offline": False,
    "latency": 2000,  # ms round trip
    "downloadThroughput": 400_000 / 8,  # bytes/s
    "uploadThroughput": 400_000 / 8,
}
CPU_SLOWDOWN = 4
VIEWPORT = {"width": 390, "height": 844}
# name → (path, the predicate that says the page is usable)
_SCRIPT_RAN = """() => document.readyState === 'complete'
  && !document.querySelector('main [aria-busy="true"]')"""
_ENABLED = """(sel) => { const el = document.querySelector(sel);
  return !!el && !el.disabled && !el.closest('[hidden]') && el.offsetParent !== null; }"""
PAGES: dict[str, tuple[str, str]] = {
    "home": ("/", _SCRIPT_RAN),
    "speak-choose": ("/speak", _SCRIPT_RAN),
    "speak": (
        "/speak/hi",
        f"() => ({_ENABLED})('#record') || ({_ENABLED})('#profile-skip')",
    ),
    # Play on a clip, or (no clip to check) whichever other step the page shows instead
    "validate": (
        "/validate/hi",
        f"() => ({_ENABLED})('#play') || !!document.querySelector('#validate .step:not([hidden])')",
    ),
    "profile": ("/profile", _SCRIPT_RAN),
    "contributions": ("/me/contributions", _SCRIPT_RAN),
    "dashboard": ("/dashboard", _SCRIPT_RAN),
    "feedback": ("/feedback", _SCRIPT_RAN),
    "privacy": ("/privacy", _SCRIPT_RAN),
    "transcribe": ("/transcribe/hi", _SCRIPT_RAN),
    "label": ("/label/hi", _SCRIPT_RAN),
    "translate": ("/translate/en/hi", _SCRIPT_RAN),
}
_FCP = """() => new Promise((done) => {
  const seen = performance.getEntriesByName('first-contentful-paint')[0];
  if (seen) { done(seen.startTime); return; }
  new PerformanceObserver((list) => {
    const entry = list.getEntriesByName('first-contentful-paint')[0];
    if (entry) done(entry.startTime);
  }).observe({ type: 'paint', buffered: true });
  setTimeout(() => done(null), 5000);
})"""


@dataclass
class Load:
    """One page load's measures (seconds, KB); None where the page never got there."""

    usable: float | None
    fcp: float | None
    kb: float


class Link:
    """One direction of the emulated network: bytes leave in order at `rate` (bytes/s) and
    arrive `delay` seconds later."""

    def __init__(self, rate: float, delay: float) -> None:
        self.rate, self.delay, self.free_at = rate, delay, 0.0
        self.carried = 0  # bytes so far
        LINKS.append(self)

    def arrival(self, size: int, now: float) -> float:
        """When `size` bytes handed over at `now` arrive at the other end."""
        self.free_at = max(now, self.free_at) + size / self.rate
        self.carried += size
        LAST_BYTES[0] = max(LAST_BYTES[0], time.monotonic() + self.free_at + self.delay - now)
        return self.free_at + self.delay


LINKS: list[Link] = []  # the emulated network's two directions, once the proxy runs
LAST_BYTES = [0.0]  # time.monotonic() when the last byte on the emulated network arrives


def wait_for_quiet(limit: float = 30.0, quiet: float = 2.0) -> None:
    """Wait until nothing has crossed the emulated network for `quiet` seconds (at most
    `limit`): what a page left behind (a service worker keeping the shell, prefetches) is done
    before the next load is timed, as it would be when the volunteer comes back later."""
    end = time.monotonic() + limit
    while time.monotonic() < end and time.monotonic() - LAST_BYTES[0] < quiet:
        time.sleep(0.2)


async def _pipe(reader: Any, writer: Any, link: Link) -> None:
    """Copy `reader` to `writer` through `link`, then close `writer`."""
    import asyncio

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            at, data = await queue.get()
            await asyncio.sleep(max(0.0, at - loop.time()))
            if not data:
                break
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(16384):
            queue.put_nowait((link.arrival(len(data), loop.time()), data))
    except OSError:
        pass
    queue.put_nowait((max(loop.time(), link.free_at) + link.delay, b""))
    with contextlib.suppress(OSError):
        await sender
        writer.close()


@contextlib.contextmanager
def slow_network(upstream: str) -> Iterator[str]:
    """A proxy to `upstream` (http://127.0.0.1:port) with the Slow 3G profile; its URL."""
    import asyncio
    import threading

    host, port = upstream.removeprefix("http://").split(":")
    down = Link(SLOW_3G["downloadThroughput"], SLOW_3G["latency"] / 2000)
    up = Link(SLOW_3G["uploadThroughput"], SLOW_3G["latency"] / 2000)
    loop = asyncio.new_event_loop()

    async def connection(client_reader: Any, client_writer: Any) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, server_writer, up), _pipe(server_reader, client_writer, down)
        )

    async def start() -> Any:
        return await asyncio.start_server(connection, "127.0.0.1", 0)

    loop.set_exception_handler(lambda _loop, _context: None)  # connections cut at the end
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    proxy = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
    finally:

        async def stop() -> None:
            proxy.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(source: Path, deadline: float) -> Iterator[str]:
    """`crowdsource serve` from `source` with the embedded defaults and demo content, in a
    temporary data folder; its URL, until the block ends (then it is stopped)."""
    with tempfile.TemporaryDirectory(prefix="page-speed-") as data:
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        }
        env.update(PYTHONPATH=str(source), DATA_DIR=data, PORT=str(port), PYTHONUNBUFFERED="1")
        log = open(Path(data) / "serve.log", "w")  # noqa: SIM115 - closed below
        binary = Path(sys.executable).parent / "crowdsource"
        process = subprocess.Popen(
            [str(binary), "serve", "--workers", "2"],
            env=env, cwd=data, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(f"{url}/readyz", process, deadline, Path(data) / "serve.log")
            print(f"  {seed_clips(url)} clips recorded for validate", file=sys.stderr)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            log.close()


def seed_clips(url: str, count: int = 8) -> int:
    """Recordings of Hindi sentences by two other people (tests/data/audio), so that validate
    has clips to check; how many were stored."""
    import requests

    clips = sorted((ROOT / "tests" / "data" / "audio").glob("hi_*.wav"))
    stored = 0
    for speaker in range(2):
        with requests.Session() as visitor:
            visitor.post(f"{url}/api/v1/session", timeout=10).raise_for_status()
            answer = visitor.get(f"{url}/api/v1/languages/hi/sentences?count={count}", timeout=10)
            for i, sentence in enumerate(answer.json()["sentences"][speaker::2]):
                audio = clips[i % len(clips)]
                sent = visitor.post(
                    f"{url}/api/v1/recordings",
                    data={"item_id": str(sentence["id"]), "idempotency_key": os.urandom(16).hex()},
                    files={"audio": (audio.name, audio.read_bytes(), "audio/wav")},
                    timeout=30,
                )
                stored += sent.status_code == 201
    return stored


def _wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float, log: Path) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {deadline:.0f} s")


def _carried_since(carried_before: int, received: list[float]) -> float:
    """KB so far: through the proxy, every byte both ways (a service worker's fetches too); by
    CDP, the page's own requests only."""
    if LINKS:
        return (sum(link.carried for link in LINKS) - carried_before) / 1024
    return sum(received) / 1024


def measure(context: Any, url: str, predicate: str, timeout: float, network: str) -> Load:
    """Open `url` in a new page of `context` under the phone profile; its measures."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if network == "cdp":
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    received: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    carried_before = sum(link.carried for link in LINKS)
    usable: float | None = None
    fcp: float | None = None
    kb: float | None = None
    try:
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        handle = page.wait_for_function(
            f"() => ({predicate})() ? performance.now() : false",
            timeout=timeout * 1000,
            polling=50,
        )
        usable = float(handle.json_value()) / 1000
        page.wait_for_load_state("load", timeout=timeout * 1000)
        value = page.evaluate(_FCP)
        fcp = float(value) / 1000 if value is not None else None
        kb = _carried_since(carried_before, received)
        # Not timed: the page stays open until the service worker has kept it and its files
        # (html[data-offline=ready], js/offline.js), as it would while a volunteer used it.
        with contextlib.suppress(Exception):
            page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=60_000)
    except Exception as exc:  # a page that never became usable: reported, not fatal
        print(f"  {url}: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
    if kb is None:  # never got to `load`: what it took until it was given up
        kb = _carried_since(carried_before, received)
    page.close()
    return Load(usable, fcp, kb)


LATIN_ONLY_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


# On validate, with a clip on screen: play it to the end, answer, then press Play on the next
# clip as soon as it shows; seconds from the answer to its sound playing.
_ANSWER_TO_SOUND = """async (timeoutMs) => {
  const $ = (sel) => document.querySelector(sel);
  const given = Date.now();
  const until = (ok) => new Promise((done, fail) => {
    const timer = setInterval(() => {
      if (ok()) { clearInterval(timer); done(); }
      else if (Date.now() - given > timeoutMs) {
        clearInterval(timer);
        fail(new Error(`stuck: ${$('#alert').textContent.trim() || 'no alert'}`));
      }
    }, 10);
  });
  if ($('#audio').paused) $('#play').click();  // the one before this pressed Play already
  await until(() => !$('#accept').disabled);
  const first = $('#sentence').textContent;
  const start = performance.now();
  $('#accept').click();
  await until(() => $('#sentence').textContent !== first && !$('#play').disabled
    && !$('#clip-step').hidden);
  const playing = new Promise((done) =>
    $('#audio').addEventListener('playing', done, { once: true }));
  $('#play').click();
  await Promise.race([playing, until(() => false)]);
  return (performance.now() - start) / 1000;
}"""


def answer_to_sound(
    context: Any, url: str, timeout: float, network: str, answers: int
) -> list[float]:
    """Seconds from answering a clip to hearing the next, for `answers` answers in a row."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    if network == "cdp":
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.set_default_timeout(timeout * 1000)
    seconds: list[float] = []
    try:
        page.goto(url)
        page.wait_for_function(f"() => ({_ENABLED})('#play')", timeout=timeout * 1000)
        for _ in range(answers):
            seconds.append(float(page.evaluate(_ANSWER_TO_SOUND, timeout * 1000)))
    except Exception as exc:  # fewer clips than answers, or a page that never got there
        print(
            f"  answer to sound: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr
        )
    page.close()
    return seconds


def run(
    url: str,
    names: list[str],
    timeout: float,
    budget_end: float,
    network: str = "proxy",
    device_fonts: str = "all",
) -> dict[str, list[Load]]:
    """Cold then warm loads of each page named; stops early when the budget is spent."""
    from playwright.sync_api import sync_playwright

    results: dict[str, list[Load]] = {}
    with tempfile.TemporaryDirectory(prefix="page-speed-fonts-") as fonts, sync_playwright() as pw:
        env = dict(os.environ)
        if device_fonts == "latin":
            config = Path(fonts) / "fonts.conf"
            config.write_text(LATIN_ONLY_FONTS.format(cache=Path(fonts) / "cache"))
            env["FONTCONFIG_FILE"] = str(config)
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
        )
        try:
            for name in names:
                if time.monotonic() > budget_end:
                    print(f"  budget spent: {name} and after not measured", file=sys.stderr)
                    break
                path, predicate = PAGES[name]
                context = browser.new_context(
                    viewport=VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
                )
                try:
                    wait_for_quiet()  # the page before this one has let go of the network
                    cold = measure(context, url + path, predicate, timeout, network)
                    wait_for_quiet()
                    warm = measure(context, url + path, predicate, timeout, network)
                finally:
                    context.close()
                results[name] = [cold, warm]
                print(f"  {name}: cold {cold} warm {warm}", file=sys.stderr)
            if "validate" in names and time.monotonic() < budget_end:
                context = browser.new_context(
                    viewport=VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
                )
                try:
                    path = PAGES["validate"][0]
                    ANSWERS.extend(answer_to_sound(context, url + path, timeout, network, 3))
                finally:
                    context.close()
        finally:
            browser.close()
    return results


ANSWERS: list[float] = []  # validate: seconds from an answer to the next clip's sound


def table(results: dict[str, list[Load]]) -> str:
    """The Markdown table of `results`."""

    def s(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    lines = [
        "| page | usable cold (s) | usable warm (s) | FCP cold (s) | FCP warm (s) "
        "| KB cold | KB warm |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (cold, warm) in results.items():
        lines.append(
            f"| {name} | {s(cold.usable)} | {s(warm.usable)} | {s(cold.fcp)} | {s(warm.fcp)} "
            f"| {cold.kb:.0f} | {warm.kb:.0f} |"
        )
    if ANSWERS:
        each = ", ".join(f"{value:.2f}" for value in ANSWERS)
        lines += ["", f"validate, from an answer to the next clip's sound (s): {each}"]
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, start a server if needed, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="measure this server instead of starting one")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to serve from")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated names")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per page load")
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    parser.add_argument(
        "--network", choices=("proxy", "cdp"), default="proxy", help="how Slow 3G is emulated"
    )
    parser.add_argument(
        "--device-fonts", choices=("all", "latin"), default="all", help="the phone's own fonts"
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = [name for name in names if name not in PAGES]
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)} (known: {', '.join(PAGES)})")
    budget_end = time.monotonic() + args.budget
    with contextlib.ExitStack() as stack:
        url = args.url.rstrip("/") if args.url else None
        if url is None:
            url = stack.enter_context(server(args.source.resolve(), min(300, args.budget)))
        if args.network == "proxy":
            url = stack.enter_context(slow_network(url))
        results = run(url, names, args.timeout, budget_end, args.network, args.device_fonts)
    print(table(results))


if __name__ == "__main__":
    main()
