"""In a real browser (Chromium): a historian reads an interview's history, opens its first version, and restores it
after saying yes to the confirmation (saying no changes nothing); the pages run under the CSP without a violation."""

import json

import pytest
from conftest import browser_tab

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
