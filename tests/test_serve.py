"""`archive serve` runs the production server: started for real, asked for pages over HTTP."""

import urllib.request


def test_serve_answers_with_the_home_page_and_its_stylesheet(live_server):
    with urllib.request.urlopen(live_server + "/", timeout=5) as response:
        page = response.read().decode()
        assert response.headers["Server"] == "archive"  # waitress, named; not Werkzeug's development server
    assert "Oral history archive" in page and "Sign in" in page
    with urllib.request.urlopen(live_server + "/static/css/archive.css", timeout=5) as css:
        assert b"font-family" in css.read()
