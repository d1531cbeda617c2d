"""In a real browser: a historian adds two photographs with captions through the form, one of them sideways by its
EXIF orientation; the gallery then shows both thumbnails, upright, and an anonymous reader finds them by village."""

import pytest
from conftest import browser_tab
from factories import jpeg, png
from PIL import Image

pytestmark = pytest.mark.browser


def test_a_historian_adds_photographs_and_readers_see_them_upright(app, tmp_path, live_server, browser):
    sideways = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored lying on its side: turn 90° clockwise to view
    sideways.write_bytes(jpeg("navy", (600, 400), exif=exif))
    plain = tmp_path / "plain.png"
    plain.write_bytes(png("olive", (500, 500)))

    tab = browser_tab(app, browser, live_server, "anna")
    tab.goto(live_server + "/media/new")
    tab.locator("#files-0-file").set_input_files(str(sideways))
    tab.locator("#files-0-caption").fill("Брат и сестра, Уштобе")
    tab.locator("#files-1-file").set_input_files(str(plain))
    tab.locator("#files-1-caption").fill("Kolkhoz club")
    tab.get_by_label("Places").fill("Уштобе")
    tab.get_by_label("Who may see it").select_option("public")
    tab.get_by_role("button", name="Add to the archive").click()
    tab.wait_for_url(live_server + "/media/")
    assert "Added 2 items." in tab.content()
    # thumbnails load lazily; under load the first may still be on its way when the page settles
    tab.wait_for_function(
        "() => [...document.querySelectorAll('.thumbs img')].every(i => i.complete && i.naturalWidth)"
    )
    sizes = tab.eval_on_selector_all(
        ".thumbs img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert sorted(sizes) == [[True, 213, 320], [True, 320, 320]]  # the sideways one now stands upright
    tab.get_by_role("link", name="Брат и сестра, Уштобе").click()
    assert tab.locator("figure img").evaluate("i => i.naturalHeight") == 600

    reader = browser.new_page()
    reader.goto(live_server + "/media/?village=ushtobe")
    assert reader.locator(".thumbs li").count() == 2
    reader.close()
    tab.close()
