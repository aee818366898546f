"""How fast a phone's browser and a script each compute SHA-256: the measurement behind ADR 0009's
decision not to ask for a proof of work before a session.

    python ops/bench_pow.py [--hashes N]

Chromium (Debian's, through Playwright) runs WebCrypto SHA-256 on a 48-byte message at CPU
slowdowns of 1x, 4x (a mid-range phone, as DevTools models it) and 6x; Python's hashlib runs
the same on one core. Prints hashes per second and what a puzzle a phone solves in one second
would cost a script per session.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

_GRIND = """async (n) => {
  const data = new Uint8Array(48); crypto.getRandomValues(data);
  const view = new DataView(data.buffer);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    view.setUint32(44, i);
    await crypto.subtle.digest('SHA-256', data);
  }
  return (performance.now() - t0) / 1000;
}"""


def browser_rates(hashes: int, slowdowns: tuple[int, ...] = (1, 4, 6)) -> dict[int, float]:
    """Hashes per second in Chromium at each CPU slowdown."""
    from playwright.sync_api import Route, sync_playwright

    rates: dict[int, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()

        def blank(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html", body="<p>pow</p>")

        # http://localhost is a secure context, where WebCrypto exists; nothing leaves Chromium.
        page.route("http://localhost/pow", blank)
        page.goto("http://localhost/pow")
        cdp = page.context.new_cdp_session(page)
        for rate in slowdowns:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            rates[rate] = hashes / float(page.evaluate(_GRIND, hashes))
        browser.close()
    return rates


def script_rate(hashes: int) -> float:
    """Hashes per second with Python's hashlib on one core."""
    data = bytearray(os.urandom(48))
    started = time.perf_counter()
    for i in range(hashes):
        data[44:48] = i.to_bytes(4, "big")
        hashlib.sha256(data).digest()
    return hashes / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=20_000, help="hashes per browser run")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    rates = browser_rates(args.hashes)
    for slowdown, rate in rates.items():
        print(f"chromium webcrypto, CPU slowdown {slowdown}x: {rate:,.0f} hashes/s")
    script = script_rate(args.hashes * 50)
    print(f"python hashlib, one core: {script:,.0f} hashes/s")
    phone = rates.get(4, next(iter(rates.values())))
    print(
        f"a puzzle a 4x-slowed phone solves in ~1 s ({phone:,.0f} hashes) costs the script "
        f"{phone / script * 1000:.0f} ms per session"
    )


if __name__ == "__main__":
    main()
