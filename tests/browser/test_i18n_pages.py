"""Every page in the volunteer's language (issue #19), in real Chromium at 390 px: nothing
overflows the screen or its button in Hindi, Tamil, Malayalam (often the longest) and Urdu
(right to left, mirrored), and axe-core (npm, run in the page) finds no serious or critical
accessibility problem in Hindi, Tamil and Urdu. Screenshots of each go to test-results/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import NewPerson

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_390 = {"width": 390, "height": 844}
PAGES = {
    "home": "/",
    "speak-choose": "/speak",
    "speak": "/speak/hi",
    "validate-choose": "/validate",
    "validate": "/validate/hi",
    "transcribe": "/transcribe/hi",
    "label": "/label/hi",
    "translate-choose": "/translate",
    "translate": "/translate/en/hi",
    "validate-label": "/validate/label/hi",
    "contributions": "/me/contributions",
    "badges": "/me/badges",
    "profile": "/profile",
    "my-data": "/my-data",
    "dashboard": "/dashboard",
    "feedback": "/feedback?from=/speak/hi",
    "key": "/key",
    "privacy": "/privacy",
    "certificate": "/certificate",
    "certificate-check": "/certificates/K7QM-3XRT-9HWB",  # no such certificate
    "not-found": "/speak/zz",
}
OVERFLOW_LOCALES = ("hi", "ta", "ml", "ur")
AXE_LOCALES = ("hi", "ta", "ur")

# Every visible element whose box leaves the viewport sideways, and every control whose text
# is wider than the control (a label cut off or spilling out of its button).
_OVERFLOWS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || e.closest('.visually-hidden, .skip-link')) continue;
    if (e.closest('.table-scroll, .chart, svg')) continue;  // scroll sideways by design
    if (box.left < -1 || box.right > width + 1)
      out.push(`${name(e)} spans ${box.left}..${box.right}`);
    if (e.matches('button, .button, select') && e.scrollWidth > e.clientWidth + 1)
      out.push(`${name(e)} text ${e.scrollWidth} > box ${e.clientWidth}`);
  }
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) out.push(`page ${page} > ${width}`);
  return out;
}
"""


def open_in(new_person: NewPerson, base: str, code: str) -> Page:
    page = new_person(PHONE_390)
    page.context.add_cookies([{"name": "cs_locale", "value": code, "url": base}])
    return page


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")


@pytest.mark.parametrize("code", OVERFLOW_LOCALES)
def test_no_page_overflows_a_390px_phone(demo: str, new_person: NewPerson, screenshots: Path,
                                         code: str) -> None:  # fmt: skip
    page = open_in(new_person, demo, code)
    found = {}
    for name, path in PAGES.items():
        page.goto(demo + path)
        settle(page)
        assert page.evaluate("document.documentElement.lang") == code
        page.screenshot(path=screenshots / f"i18n-{code}-{name}.png", full_page=True)
        overflows = page.evaluate(_OVERFLOWS)
        if overflows:
            found[name] = overflows[:5]
    assert found == {}


def test_urdu_mirrors_the_layout(demo: str, new_person: NewPerson) -> None:
    boxes = {}
    for code in ("en", "ur"):
        page = open_in(new_person, demo, code)
        page.goto(demo + "/")
        settle(page)
        boxes[code] = {
            part: page.locator(selector).first.bounding_box()
            for part, selector in (("brand", ".brand"), ("nav", ".site-nav li"),
                                   ("switch", "#locale-select"))
        }  # fmt: skip
        assert page.evaluate("getComputedStyle(document.body).direction") == (
            "rtl" if code == "ur" else "ltr"
        )
    english, urdu = boxes["en"], boxes["ur"]
    assert english["brand"]["x"] < english["switch"]["x"]  # brand on the left, switcher right
    assert urdu["brand"]["x"] > urdu["switch"]["x"]  # and the other way round in Urdu
    assert urdu["brand"]["x"] + urdu["brand"]["width"] > 390 - 40  # brand at the right edge


@pytest.mark.parametrize("code", AXE_LOCALES)
def test_no_serious_accessibility_problem_on_any_page(demo: str, new_person: NewPerson,
                                                     code: str) -> None:  # fmt: skip
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (CI does)")
    page = open_in(new_person, demo, code)
    found = {}
    for name, path in PAGES.items():
        page.goto(demo + path)
        settle(page)
        page.evaluate(AXE.read_text())  # by the DevTools protocol: the page's CSP stays strict
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious
    assert found == {}
