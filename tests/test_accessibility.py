"""Accessibility (WCAG 2.2 AA) in a real browser: axe-core, the npm registry's accessibility engine, run with no rule
turned off (and its WCAG 2.2 target-size rule turned on) over every main page in English, Russian and Korean, as an
anonymous reader and as a historian, finds nothing serious or critical; every control is at least 24 px; whatever
takes the keyboard's focus shows it; the skip link leads past the header to the page's own content."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PASSWORD
from test_contribute import send

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "ru", "ko")
SERIOUS = ("serious", "critical")

# The main pages: what a reader opens, then what a historian works in ("{submission}" is a testimony sent first).
READER_PAGES = {
    "home": "/",
    "interviews": "/interviews/",
    "interview": "/interviews/1s12p03r",
    "search": "/search?q=Ushtobe",
    "villages": "/browse/villages",
    "surnames": "/browse/surnames",
    "timeline": "/events/",
    "event": "/events/arrival-ushtobe-1937",
    "place": "/places/ushtobe",
    "people": "/people/",
    "photos": "/media/",
    "photo": "/media/2kfh28sh",
    "share": "/contribute/",
    "receipt-code": "/contribute/receipt",
    "sign-in": "/auth/signin",
}
STAFF_PAGES = {
    "inbox": "/moderate/",
    "submission": "/moderate/{submission}",
    "annotate": "/interviews/1s12p03r/annotations/new?segment=1",
    "spellings": "/vocab/surnames",
    "jobs": "/jobs/",
}

# Every element the keyboard can reach, for the focus check.
FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as `npm ci` installs it (package.json pins it); skipped where it is absent, except in CI."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the accessibility tests, but axe-core is missing: .ci/run runs `npm ci`")
        pytest.skip("axe-core is not installed (run `npm ci` in the repository folder)")
    return AXE.read_text("utf-8")


def violations(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands: rule, the elements at fault, and its help."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)  # allowed by the context's CSP bypass, never by the archive
    results = page.evaluate(
        "() => axe.run(document, {rules: {'target-size': {enabled: true}}, resultTypes: ['violations']})"
    )
    found = []
    for rule in results["violations"]:
        if rule["impact"] in SERIOUS:
            targets = [json.dumps(node["target"], ensure_ascii=False) for node in rule["nodes"]]
            found.append(f"{rule['id']} ({rule['impact']}): {rule['help']} at {', '.join(targets[:6])}")
    return found


def sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/auth/signin?lang=en")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.fixture(scope="module")
def submission(sample_site) -> str:
    """A testimony in the inbox, sent through the public form by another browser."""
    return send(sample_site.app.test_client()).id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_finds_nothing_serious_on_any_main_page(sample_site, submission, browser, axe_source, lang):
    base = sample_site.base
    sample_site.account("historian", "historian")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        found = {}
        pages = [(name, path, False) for name, path in READER_PAGES.items()]
        pages += [(name, path.format(submission=submission), True) for name, path in STAFF_PAGES.items()]
        for name, path, staff in pages:
            if staff and not found.get("signed-in"):
                sign_in(page, base, "historian")
                found["signed-in"] = []
            answer = page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert answer.status == 200, (name, answer.status)
            assert page.evaluate("document.documentElement.lang") == lang, name
            found[name] = violations(page, axe_source)
        report = [f"{name}: {rule}" for name, rules in found.items() for rule in rules]
        assert report == [], "\n".join(report)
    finally:
        context.close()


def test_the_consent_checkbox_and_every_choice_are_big_enough_to_touch(sample_site, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(sample_site.base + "/contribute/?lang=ru")
        consent = page.get_by_label("Я согласен(на) с условиями выше", exact=True).bounding_box()
        assert consent["width"] >= 24 and consent["height"] >= 24, consent
        small = page.evaluate(
            """() => Array.from(document.querySelectorAll('input[type=checkbox], input[type=radio], button'))
                 .filter(e => e.offsetParent !== null)
                 .map(e => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
                 .filter(([, r]) => r.width < 24 || r.height < 24)
                 .map(([name, r]) => `${name}: ${r.width}x${r.height}`)"""
        )
        assert small == []
    finally:
        page.close()


@pytest.mark.parametrize("path", ["/contribute/", "/interviews/1s12p03r", "/search?q=Ushtobe"])
def test_everything_the_keyboard_reaches_shows_its_focus(sample_site, browser, path):
    """Tab through the page: each element that takes the focus draws an outline of 2 px or more (or a shadow), so
    someone without a mouse always sees where they are."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(sample_site.base + path)
        reachable = page.locator(FOCUSABLE).evaluate_all("els => els.filter(e => e.offsetParent !== null).length")
        seen, unmarked = set(), []
        for _ in range(reachable + 5):
            page.keyboard.press("Tab")
            state = page.evaluate(
                """() => {
                     const e = document.activeElement;
                     if (!e || e === document.body) return null;
                     const s = getComputedStyle(e);
                     const marked = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                       || (s.boxShadow && s.boxShadow !== 'none');
                     return {key: e.outerHTML.slice(0, 120), marked};
                   }"""
            )
            if state is None or state["key"] in seen:
                continue
            seen.add(state["key"])
            if not state["marked"]:
                unmarked.append(state["key"])
        assert len(seen) >= 10  # the walk went through the page, not only its first link
        assert unmarked == []
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["ru", "ko"])
def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(sample_site, browser, lang):
    base = sample_site.base
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{base}/interviews/?lang={lang}")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert skip.evaluate("e => e === document.activeElement")
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] >= 24 and box["height"] >= 24  # seen
        assert skip.inner_text() != "Skip to content"  # in the reader's language
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/interviews/?lang={lang}#main")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('main') !== null")  # past the header's links
    finally:
        page.close()
