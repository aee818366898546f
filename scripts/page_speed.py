"""Page speed on a phone over Slow 3G (issue #21): each page's time to usable, first contentful
paint and bytes transferred, cold cache and warm cache, as a Markdown table.

    python scripts/page_speed.py                       # starts a server from this checkout
    python scripts/page_speed.py --source /tmp/before  # ... from another checkout (a before run)
    python scripts/page_speed.py --url http://127.0.0.1:8080 --pages speak,validate

The profile: Chromium (/usr/bin/chromium, headless) at 390×844, touch, Slow 3G by CDP
`Network.emulateNetworkConditions` (400 kbps down and up, 2 s round trip) and a 4× CPU slowdown
(`Emulation.setCPUThrottlingRate`).

- **cold**: a new browser context (empty cache, no cookie) opens the page;
- **warm**: a second page in that context opens it again (cache and session cookie kept).

Measures, from navigation start:
- **usable**: the page's main control can be used (speak: Record enabled, or the optional
  profile step shown; validate: Play enabled on a clip, or the step shown when there is none;
  the other pages: their script has run
  and the `load` event fired, with nothing in `main` still `aria-busy`);
- **FCP**: the first contentful paint (Paint Timing);
- **KB**: bytes over the wire until usable and `load` (CDP `encodedDataLength`, headers and
  compressed bodies).

Without `--url`, a server is started on 127.0.0.1 with the embedded defaults (a fresh embedded
PostgreSQL in a temporary folder, demo content loaded) and stopped at the end. Every wait is
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


def measure(context: Any, url: str, predicate: str, timeout: float) -> Load:
    """Open `url` in a new page of `context` under the phone profile; its measures."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    received: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    usable: float | None = None
    fcp: float | None = None
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
    except Exception as exc:  # a page that never became usable: reported, not fatal
        print(f"  {url}: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
    kb = sum(received) / 1024
    page.close()
    return Load(usable, fcp, kb)


def run(url: str, names: list[str], timeout: float, budget_end: float) -> dict[str, list[Load]]:
    """Cold then warm loads of each page named; stops early when the budget is spent."""
    from playwright.sync_api import sync_playwright

    results: dict[str, list[Load]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
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
                    cold = measure(context, url + path, predicate, timeout)
                    warm = measure(context, url + path, predicate, timeout)
                finally:
                    context.close()
                results[name] = [cold, warm]
                print(f"  {name}: cold {cold} warm {warm}", file=sys.stderr)
        finally:
            browser.close()
    return results


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
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, start a server if needed, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="measure this server instead of starting one")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to serve from")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated names")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per page load")
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    names = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = [name for name in names if name not in PAGES]
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)} (known: {', '.join(PAGES)})")
    budget_end = time.monotonic() + args.budget
    if args.url:
        results = run(args.url.rstrip("/"), names, args.timeout, budget_end)
    else:
        with server(args.source.resolve(), deadline=min(300, args.budget)) as url:
            results = run(url, names, args.timeout, budget_end)
    print(table(results))


if __name__ == "__main__":
    main()
