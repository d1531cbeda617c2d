"""In a real browser: the sign-in page fits a phone, and signing in and out works with CSRF and cookies."""

import pytest
from conftest import PASSWORD

from archive import accounts

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_sign_in_and_out_at_phone_and_desktop_width(app, live_server, browser, width, tmp_path):
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(live_server + "/auth/signin")
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing forces sideways scrolling
        name_box = page.get_by_label("Account name").bounding_box()
        assert name_box["width"] >= min(width - 60, 300)  # fields use the width a phone has

        page.get_by_label("Account name").fill("anna")
        page.get_by_label("Password").fill("wrong password here")
        page.get_by_role("button", name="Sign in").click()
        assert "do not match" in page.locator(".form-errors").inner_text()
        assert page.get_by_label("Account name").input_value() == "anna"

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_server + "/")
        assert "Signed in as anna." in page.locator(".flashes").inner_text()
        page.screenshot(path=str(tmp_path / f"signed-in-{width}.png"), full_page=True)

        page.get_by_role("button", name="Sign out").click()
        assert "You have signed out." in page.locator(".flashes").inner_text()
        assert page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").is_visible()
    finally:
        page.close()
