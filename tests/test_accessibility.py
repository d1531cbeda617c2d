"""Accessibility (WCAG 2.2 AA) in a real browser: axe-core (Deque's accessibility engine, from the npm registry), run
with no rule turned off (and its WCAG 2.2 target-size rule turned on) over every main page in English, Russian and
Korean, as an anonymous reader and as a historian, finds nothing serious or critical; every control is at least 24 px;
whatever takes the keyboard's focus shows it; the skip link leads past the header to the page's own content."""

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
    "interview-staff": "/interviews/1s12p03r",  # with the historian's annotate and correct links
    "inbox": "/moderate/",
    "submission": "/moderate/{submission}",
    "annotate": "/interviews/1s12p03r/annotations/new?segment=1",
    "segment-index": "/interviews/svqc7aeb/index/edit",  # the OHMS sample's six points, one fieldset each
    "times": "/interviews/x3w3seda/times",  # a partly timed transcript's passages, one time field each
    "alignment": "/interviews/x3w3seda/alignment",  # the aligner's proposal for them, one passage unsure
    "spellings": "/vocab/surnames",
    "jobs": "/jobs/",
    "delete": "/interviews/1s12p03r/delete",  # the confirmation of a deletion, with its reason (issue 16)
    "records": "/records/?size=25",  # the staff list: filters, a table of tick boxes, the bulk change
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


AXE_RUN = """() => {
  window.axeFound = null;
  axe.run(document, {rules: {'target-size': {enabled: true}}, resultTypes: ['violations']})
    .then(results => { window.axeFound = results.violations; })
    .catch(error => { window.axeFound = [{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]; });
}"""


def start_axe(page, axe_source: str) -> None:
    """Inject axe-core (allowed by the context's CSP bypass, never by the archive's pages) and start it on the page
    as it stands, without waiting: the pages of each language are checked at the same time."""
    page.add_script_tag(content=axe_source)
    page.evaluate(AXE_RUN)


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page: its rule, the elements at fault, and its help."""
    page.wait_for_function("() => window.axeFound !== null", timeout=60_000)
    found = []
    for rule in page.evaluate("window.axeFound"):
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


@pytest.fixture(scope="module")
def proposal(sample_site) -> None:
    """A proposal of times waiting for the partly timed interview (made here, kept as the aligner keeps its own)."""
    from archive import alignment, interviews, recordings

    collection = sample_site.app.extensions["collection"]
    stored = collection.read("interviews", "x3w3seda", "segments.json")
    timings = [alignment.Timing(s["n"], 10.0 * i, 10.0 * i + 8, i == 1, 0.4) for i, s in enumerate(stored.json())]
    proposed = alignment.Proposal(timings, 10.0 * len(timings), 0.6, 0.04)
    parts = recordings.parts(interviews.load(collection, "x3w3seda").record)
    alignment.keep(collection, "x3w3seda", proposed, stored.version, "historian", parts)


def test_axe_finds_nothing_serious_on_any_main_page_in_any_language(
    sample_site, submission, proposal, browser, axe_source
):
    """Each page is opened in English, Russian and Korean (one browser per language, with its own cookies), first
    as an anonymous reader, then signed in as a historian."""
    base = sample_site.base
    sample_site.account("historian", "historian")
    contexts = {
        lang: browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True) for lang in LANGUAGES
    }
    try:
        tabs = {lang: context.new_page() for lang, context in contexts.items()}
        pages = [(name, path, False) for name, path in READER_PAGES.items()]
        pages += [(name, path.format(submission=submission), True) for name, path in STAFF_PAGES.items()]
        # First, that the harness sees what it must: a nameless button and faint text, added to a page, are found.
        probe = tabs["en"]
        probe.goto(base + "/?lang=en")
        probe.evaluate(
            """() => {
                 const faint = document.createElement('p');
                 faint.textContent = 'Faint words';
                 faint.style.color = '#c8c8c8';
                 const nameless = document.createElement('button');
                 document.querySelector('main').append(faint, nameless);
               }"""
        )
        start_axe(probe, axe_source)
        seen = " ".join(violations(probe))
        assert "color-contrast (serious)" in seen and "button-name (critical)" in seen, seen
        report, signed_in = [], False
        for name, path, staff in pages:
            if staff and not signed_in:
                for tab in tabs.values():
                    sign_in(tab, base, "historian")
                signed_in = True
            for lang, tab in tabs.items():
                answer = tab.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
                assert answer.status == 200, (name, lang, answer.status)
                assert tab.evaluate("document.documentElement.lang") == lang, (name, lang)
                start_axe(tab, axe_source)
            for lang, tab in tabs.items():
                report += [f"{lang} {name}: {rule}" for rule in violations(tab)]
        assert report == [], "\n".join(report)
    finally:
        for context in contexts.values():
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
    """Tab through the page: each element that takes the focus draws an outline of 2 px or more whose colour stands
    out 3:1 from the page (WCAG 1.4.11), so someone without a mouse always sees where they are."""
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
                     const luminance = colour => {
                       const [r, g, b] = colour.match(/[0-9.]+/g).slice(0, 3).map(v => {
                         v = Number(v) / 255;
                         return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
                       });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b;
                     };
                     const [a, b] = [luminance(s.outlineColor),
                                     luminance(getComputedStyle(document.body).backgroundColor)];
                     const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                     const marked = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && contrast >= 3;
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
