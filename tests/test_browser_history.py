"""In a real browser (Chromium): a historian reads an interview's history, opens its first version, and restores it
after saying yes to the confirmation (saying no changes nothing); the pages run under the CSP without a violation;
axe-core finds nothing serious on the history and audit pages in any language."""

import json

import pytest
from conftest import browser_tab
from test_accessibility import axe_source as axe_source  # noqa: F401 - the fixture, shared
from test_accessibility import sign_in, start_axe, violations

from archive.services import services

pytestmark = pytest.mark.browser


@pytest.fixture
def edited(app):
    """A public interview whose title was edited once."""
    with app.app_context():
        outcome = (
            services()
            .ingest.ingester("test")
            .ingest(
                b"ANNA: We left in October.\n\nBORIS: The wagon was cold.\n",
                "story.txt",
                {"title": "First title", "access": "public"},
            )
        )
        assert outcome.status == "ingested", outcome
        stored = services().collection.read("interviews", outcome.interview_id, "interview.json")
        services().interviews.edit(
            outcome.interview_id, {**json.loads(stored.data), "title": "Second title"}, "Anna Historian", stored.version
        )
    return outcome.interview_id


def title(app, interview_id):
    return json.loads((app.config["ARCHIVE_DATA"] / "interviews" / interview_id / "interview.json").read_text())[
        "title"
    ]


def test_a_historian_restores_the_first_version_after_confirming(app, browser, live_server, edited):
    page = browser_tab(app, browser, live_server, "keeper")
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    try:
        page.goto(f"{live_server}/interviews/{edited}")
        page.get_by_role("link", name="History", exact=True).click()
        page.wait_for_url(f"{live_server}/interviews/{edited}/history")
        assert page.locator("ol.history li.version").count() == 2
        assert "Second title" in page.locator("table.history-fields").first.inner_text()
        page.get_by_role("link", name="Version 1", exact=True).click()
        assert "First title" in page.locator("section.history-record").inner_text()
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.get_by_role("button", name="Restore this version").click()
        assert title(app, edited) == "Second title"  # "no" sent nothing
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Restore this version").click()
        page.wait_for_url(f"{live_server}/interviews/{edited}/history")
        assert title(app, edited) == "First title"
        # had "no" sent the form, this second restore would have been refused (nothing left to restore)
        assert "The version is restored as a new version" in page.locator("main").inner_text()
        assert page.locator("ol.history li.version").count() == 3
        assert "Earlier version restored" in page.locator("ol.history li.version").first.inner_text()
        assert not refused
    finally:
        page.close()


def test_axe_finds_nothing_serious_on_the_history_and_audit_pages(sample_site, browser, axe_source):
    """The history of an edited and corrected interview, its first version, an item's history and the audit log, in
    English, Russian and Korean, as an admin."""
    app, base, interview = sample_site.app, sample_site.base, "1s12p03r"
    with app.app_context():
        stored = services().collection.read("interviews", interview, "interview.json")
        record = json.loads(stored.data)
        services().interviews.edit(
            interview, {**record, "title": "A corrected title", "date": "1937~"}, "Anna Historian", stored.version
        )
        segments = services().collection.read("interviews", interview, "segments.json")
        text = json.loads(segments.data)[1]["text"]
        services().transcripts.correct_segment(
            interview, 2, text.replace(" ", " corrected ", 1), "Boris", segments.version
        )
        first = services().history.versions("interviews", interview)[0][0]
    sample_site.account("auditor", "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in(tab, base, "auditor")
        report = []
        for path in (
            f"/interviews/{interview}/history",
            f"/interviews/{interview}/history/{first.stamp}",
            "/media/2kfh28sh/history",
            "/audit/",
        ):
            for lang in ("en", "ru", "ko"):
                answer = tab.goto(f"{base}{path}?lang={lang}")
                assert answer.status == 200, (path, lang, answer.status)
                start_axe(tab, axe_source)
                report += [f"{lang} {path}: {rule}" for rule in violations(tab)]
        assert report == [], "\n".join(report)
    finally:
        context.close()
