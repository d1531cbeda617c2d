"""In a real browser: approving and declining a family's testimony ask first, in the page's language (forms.js and
the data-confirm the page gives); saying no sends nothing and the submission stays pending, saying yes decides."""

import re

import pytest
from conftest import browser_tab

from archive import contributions

pytestmark = pytest.mark.browser

DETAILS = {
    "name": "Ольга Пак",
    "relation": "внучка",
    "contact": "",
    "narrator": "Пак Мария",
    "narrator_other_forms": "",
    "story_text": "Осенью 1937 года семью привезли в Уштобе.",
    "visibility": "public",
    "living_named": True,
    "terms_version": "1",
}


def action_button(page, action: str):
    return page.locator(f"form:has(input[name=action][value={action}]) button[type=submit]")


def test_approve_and_decline_ask_before_deciding(app, live_server, browser):
    collection = app.extensions["collection"]
    with app.app_context():
        services = app.extensions["services"].contributions
        first = services.submit(DETAILS, None, [], "ru").submission_id
        second = services.submit({**DETAILS, "narrator": "Ли Вера"}, None, [], "ru").submission_id
    historian = browser_tab(app, browser, live_server, "anna")
    asked: list[str] = []
    try:
        historian.goto(f"{live_server}/moderate/{first}?lang=ru")

        # "No" to approving: nothing is sent, the page stays, the submission is still new.
        historian.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        action_button(historian, "approve").click()
        assert asked[-1].startswith("Принять этот рассказ?")
        assert historian.url == f"{live_server}/moderate/{first}?lang=ru"
        assert contributions.load(collection, first).status == "new"

        # "No" to declining, with a reason typed: nothing is sent either, and the reason is still there.
        historian.locator("#decline-reason").fill("Это рассказ о другой семье.")
        historian.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        action_button(historian, "decline").click()
        assert asked[-1].startswith("Отклонить этот рассказ?")
        assert historian.locator("#decline-reason").input_value() == "Это рассказ о другой семье."
        assert contributions.load(collection, first).status == "new"

        # "Yes" to approving: it becomes an interview.
        historian.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        action_button(historian, "approve").click()
        historian.wait_for_url(re.compile(rf"/moderate/{first}$"))
        assert "Принято: interviews/" in historian.locator(".flashes").inner_text()
        assert contributions.load(collection, first).status == "approved"

        # "Yes" to declining another: it is declined with the reason.
        historian.goto(f"{live_server}/moderate/{second}")
        historian.locator("#decline-reason").fill("Это рассказ о другой семье.")
        historian.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        action_button(historian, "decline").click()
        historian.wait_for_url(re.compile(rf"/moderate/{second}$"))
        declined = contributions.load(collection, second)
        assert declined.status == "declined" and declined.record["log"][-1]["text"] == "Это рассказ о другой семье."
        assert len(asked) == 4
    finally:
        historian.close()
