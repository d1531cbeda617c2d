"""Asking for access in a real browser: a researcher meets the restricted page, asks with a reason, a historian grants
it in the queue, and the researcher reads the interview; axe-core finds nothing serious on the pages met on the way,
in English, Russian and Korean."""

from __future__ import annotations

import pytest
from conftest import PASSWORD
from factories import wav
from test_accessibility import AXE, LANGUAGES, sign_in, start_axe, violations

from archive import accounts
from archive.ingest import Ingester
from archive.vocab import gazetteer

pytestmark = pytest.mark.browser


@pytest.fixture
def restricted(app, collection) -> str:
    """An interview kept for staff, indexed."""
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(
        b"[00:00:05] Anna: We came to Ushtobe in October.",
        "closed.txt",
        {"title": "A testimony kept for staff", "villages": "Ushtobe", "access": "staff"},
        wav(),
        "a.wav",
    )
    assert outcome.status == "ingested", outcome.reason
    return outcome.interview_id


def test_a_researcher_asks_a_historian_grants_and_the_interview_opens(app, restricted, live_server, browser):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `npm ci` in the repository folder)")
    axe_source = AXE.read_text("utf-8")
    with app.app_context():
        accounts.add_user("rita", "researcher", PASSWORD)
        accounts.add_user("hanna", "historian", PASSWORD)
    tabs = []
    for name in ("rita", "hanna"):  # axe is injected past the pages' CSP, which the archive itself never relaxes
        tab = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
        tab.set_default_timeout(10_000)
        sign_in(tab, live_server, name)
        tabs.append(tab)
    researcher, historian = tabs
    try:
        url = f"{live_server}/interviews/{restricted}"
        report = []
        for lang in LANGUAGES:  # the restricted page, with its form, in each language
            answer = researcher.goto(f"{url}?lang={lang}")
            assert answer.status == 403
            start_axe(researcher, axe_source)
            report += [f"{lang} ask: {rule}" for rule in violations(researcher)]
        researcher.goto(f"{url}?lang=en")
        assert "A testimony kept for staff" not in researcher.content()
        researcher.get_by_role("button", name="Ask for access").click()  # nothing written: refused beside the field
        researcher.get_by_text("Please say why you need this record.").wait_for()
        researcher.get_by_label("Why do you need this record?").fill("A thesis on the 1937 deportation.")
        researcher.get_by_role("button", name="Ask for access").click()
        researcher.get_by_text("Waiting for an answer").wait_for()
        for lang in LANGUAGES:  # the queue, with the request and its buttons
            historian.goto(f"{live_server}/requests/?lang={lang}")
            start_axe(historian, axe_source)
            report += [f"{lang} queue: {rule}" for rule in violations(historian)]
        historian.goto(f"{live_server}/requests/?lang=en")
        assert "A thesis on the 1937 deportation." in historian.content()
        historian.get_by_role("button", name="Grant").click()
        historian.get_by_text("Request 1 is granted.").wait_for()
        answer = researcher.goto(url)
        assert answer.status == 200
        assert researcher.get_by_role("heading", name="A testimony kept for staff").count() == 1
        assert report == [], "\n".join(report)
    finally:
        researcher.context.close()
        historian.context.close()
