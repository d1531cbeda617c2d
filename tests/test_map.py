"""The offline map (/map): places sized by the records this reader may see, the route of the 1937 trains, links to
place pages, nothing fetched from another host; the committed outline, and the script that derives it."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree

from archive import maps

SVG = "{http://www.w3.org/2000/svg}"


def points(page: str) -> dict[str, int]:
    """The places drawn on the map, with the count each says."""
    return {p: int(n) for p, n in re.findall(r'data-place="([^"]+)" data-count="(\d+)"', page)}


def drawing(page: str):
    """The map's SVG, parsed as XML (it must be well formed)."""
    found = re.search(r'<svg class="map-drawing".*?</svg>', page, re.S)
    assert found, "no map on the page"
    return ElementTree.fromstring(found.group(0).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def test_anonymous_readers_see_only_places_of_public_records(client, sample_collection):
    page = client.get("/map").get_data(as_text=True)
    drawn = points(page)
    # Ushtobe: two public interviews and a public photograph; Kyzylorda: two public interviews (the photograph of
    # Kyzylorda is for researchers); Samarkand is mentioned only by the interview for researchers
    assert drawn["ushtobe"] == 3 and drawn["kyzylorda"] == 2 and drawn["khabarovsk"] == 3
    assert "samarkand" not in drawn and "samarkand" not in page.lower() and "Самарканд" not in page
    assert "bishkek" not in drawn  # in the gazetteer, mentioned by no record


def test_researchers_and_staff_see_more(client, auth, sample_collection):
    auth.login("historian")
    drawn = points(client.get("/map").get_data(as_text=True))
    assert drawn["kyzylorda"] == 3 and drawn["samarkand"] == 1 and drawn["ushtobe"] == 3


def test_each_place_is_a_link_to_its_page_with_a_title_and_a_size_by_count(client, sample_collection):
    page = client.get("/map").get_data(as_text=True)
    svg = drawing(page)
    links = svg.findall(f".//{SVG}a")
    assert len(links) == len(points(page)) > 5
    radii = {}
    for link in links:
        place = link.get("data-place")
        assert link.get("href") == f"/places/{place}"
        assert link.find(f"{SVG}title").text.endswith(("record", "records"))
        radii[int(link.get("data-count"))] = float(link.find(f"{SVG}circle").get("r"))
    assert radii[3] > radii[2] > radii[1]
    grown = (radii[3] - maps.MIN_RADIUS) / (radii[1] - maps.MIN_RADIUS)
    assert abs(grown - math.sqrt(3)) < 0.05  # square-root scale: area follows the count
    assert 'href="/places/ushtobe"' in page.split('<svg class="map-drawing"')[1].split("</figure>")[1]  # the list
    areas = {link.get("data-place") for link in links if "area" in link.get("class").split()}
    assert areas == {"tashkent-region"} and "a region or a country, at its middle" in page  # a ring, not a town


def test_the_deportation_trains_route_is_drawn_in_order(client, sample_collection):
    page = client.get("/map").get_data(as_text=True)
    route = next(g for g in drawing(page).iter(f"{SVG}g") if g.get("data-event") == "deportation-trains-1937")
    line = route.find(f"{SVG}polyline")
    assert line.get("marker-end") == "url(#map-arrow)"
    xy = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(xy) == 7  # Vladivostok, Khabarovsk, Chita, Irkutsk, Krasnoyarsk, Kazakhstan, Uzbekistan
    assert xy[0][0] > xy[2][0] > xy[4][0] > xy[6][0]  # westward, the way the trains went
    assert [t.text for t in route.iter(f"{SVG}text")] == [str(n) for n in range(1, 8)]
    stops = re.search(r'<ol class="map-stops">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r'href="/places/([a-z-]+)"', stops)[:3] == ["vladivostok", "khabarovsk", "chita"]
    assert "September to October 1937" in page


def test_the_map_asks_nothing_of_another_host(client, sample_collection):
    answer = client.get("/map")
    page = answer.get_data(as_text=True)
    assert "://" not in page and '"//' not in page and "url(" not in page.replace("url(#map-arrow)", "")
    assert "<script" not in page.split("</head>")[1]  # drawn on the server, no script needed
    assert " style=" not in page and "<style" not in page
    policy = answer.headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy and "style-src 'self'" in policy  # and the browser is told to keep to it


def test_one_place_is_highlighted(client, sample_collection):
    page = client.get("/map?place=ushtobe").get_data(as_text=True)
    assert re.search(r'class="map-place highlighted" data-place="ushtobe"', page)
    assert page.count("map-place highlighted") == 1
    assert 'href="/places/ushtobe">Page of Ushtobe</a>' in page
    unmentioned = client.get("/map?place=bishkek").get_data(as_text=True)
    assert points(unmentioned)["bishkek"] == 0  # shown where it is, though no record mentions it
    bastobe = client.get("/map?place=bastobe").get_data(as_text=True)  # mentioned by none, and without coordinates
    assert "Bastobe has no coordinates in the gazetteer yet, so it is not on the map." in bastobe
    assert "bastobe" not in points(bastobe) and 'href="/places/bastobe">Bastobe</a>' in bastobe
    nowhere = client.get("/map?place=nowhere").get_data(as_text=True)
    assert "map-place highlighted" not in nowhere and "Page of" not in nowhere


def test_place_and_villages_pages_link_to_the_map(client, sample_collection):
    place = client.get("/places/ushtobe").get_data(as_text=True)
    assert 'href="/map?place=ushtobe"' in place and 'href="/events/?place=ushtobe"' in place
    assert 'href="/map"' in client.get("/browse/villages").get_data(as_text=True)
    assert 'href="/map"' in client.get("/places/").get_data(as_text=True)


def test_the_map_speaks_russian_and_korean(client, sample_collection):
    russian = client.get("/map?lang=ru").get_data(as_text=True)
    assert "<h1>Карта</h1>" in russian and "Уштобе: 3 записи" in russian
    assert "기록 3건" in client.get("/map?lang=ko").get_data(as_text=True)


def test_an_empty_archive_has_an_empty_map(client):
    page = client.get("/map").get_data(as_text=True)
    assert points(page) == {} and "No record you may read mentions a place yet." in page
    assert len(drawing(page).findall(f".//{SVG}path")) > 10  # the outline is drawn all the same


def test_the_committed_outline_names_its_source_and_is_small():
    outline = json.loads(maps.OUTLINE.read_text("utf-8"))
    assert "Natural Earth" in outline["source"] and "public domain" in outline["licence"]
    assert "world-atlas" in outline["packaging"] and "ISC" in outline["packaging"]
    assert maps.OUTLINE.stat().st_size < 64 * 1024
    names = {c["name"] for c in outline["countries"]}
    assert {"Russia", "Kazakhstan", "Uzbekistan", "Kyrgyzstan", "North Korea"} <= names
    assert "Brazil" not in names and "France" not in names


def test_the_projection_keeps_the_north_up_and_the_east_right():
    project = maps.Projection((30.0, 30.0, 150.0, 70.0))
    west, east = project(40.0, 50.0), project(140.0, 50.0)
    north, south = project(80.0, 65.0), project(80.0, 35.0)
    assert west[0] < east[0] and north[1] < south[1]
    assert project(30.0, 70.0) == (0.0, 0.0) and round(project(150.0, 30.0)[0]) == maps.WIDTH


def load_script():
    spec = importlib.util.spec_from_file_location(
        "derive_outline", maps.OUTLINE.parents[2] / "tools" / "derive_outline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_derives_the_committed_outline(shared_data, tmp_path):
    script = load_script()
    written = script.main(["--source", str(shared_data / "natural_earth"), "--out", str(tmp_path / "outline.json")])
    assert written.read_bytes() == maps.OUTLINE.read_bytes()  # run again, it gives the same file


def test_the_scripts_box_follows_the_gazetteer(shared_data, tmp_path):
    script = load_script()
    places = tmp_path / "places.json"
    places.write_text(json.dumps({"places": [{"id": "lisbon", "lat": 38.7, "lon": -9.1}, {"id": "x"}]}))
    outline = script.derive(shared_data / "natural_earth", places)
    names = {c["name"] for c in outline["countries"]}
    assert "Portugal" in names and "Russia" not in names
    assert all(
        -15.2 <= lon <= -3.0 and 32.6 <= lat <= 44.8
        for c in outline["countries"]
        for ring in c["rings"]
        for lon, lat in ring
    )


@pytest.mark.browser
def test_in_a_browser_the_map_is_drawn_styled_and_fetches_only_from_the_archive(
    sample_collection, live_server, browser
):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    asked, refused = [], []
    page.on("request", lambda request: asked.append(request.url))
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    try:
        page.goto(live_server + "/map")
        assert {urlsplit(url).netloc for url in asked} == {urlsplit(live_server).netloc}
        assert refused == []  # no Content-Security-Policy violation
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page does not scroll sideways
        assert page.evaluate(
            "(f => f.scrollWidth > f.clientWidth)(document.querySelector('figure.map'))"
        )  # the map pans
        circle = page.locator('a[data-place="ushtobe"] circle')
        assert page.evaluate("e => getComputedStyle(e).fill", circle.element_handle()) != "rgb(0, 0, 0)"  # CSS
        page.locator('a[data-place="karaganda"] circle').click()
        page.wait_for_url(live_server + "/places/karaganda")
        page.go_back()
        page.locator('a[data-place="ushtobe"]').focus()  # neighbours overlap: the keyboard reaches each one
        page.keyboard.press("Enter")
        page.wait_for_url(live_server + "/places/ushtobe")
    finally:
        page.close()


def test_names_of_neighbouring_places_are_written_clear_of_each_other():
    near = [maps.Place("a", "Vladivostok", 43.12, 131.89, 2), maps.Place("b", "Posyet", 42.65, 130.8, 1)]
    drawn = {p.id: p for p in maps.draw(near, []).points}
    assert drawn["a"].label[2] == "start"  # the more mentioned place is named first, on the right
    assert drawn["b"].label[2] == "end"  # its neighbour's name would cover it there: written on the left
    crowded = [maps.Place(f"p{i}", "Some long name", 45.0, 70.0 + i * 0.01, 1) for i in range(5)]
    assert sum(p.label is not None for p in maps.draw(crowded, []).points) == 4  # right, left, above, below: no more


def form_fields(page: str) -> dict:
    """What a browser would send back for the event form as it is shown."""
    fields = {name: value for name, value in re.findall(r'<input[^>]* name="([^"]+)"[^>]* value="([^"]*)"', page)}
    fields |= dict(re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>\r?\n?([^<]*)</textarea>', page, re.S))
    fields["places"] = re.findall(r'name="places"[^>]* value="([^"]+)"[^>]* checked', page)
    fields["related"] = re.findall(r'name="related"[^>]* value="([^"]+)"[^>]* checked', page)
    from html import unescape

    return {k: [unescape(x) for x in v] if isinstance(v, list) else unescape(v) for k, v in fields.items()}


def test_historians_give_an_event_its_route_in_any_script_and_the_map_draws_it(client, auth, sample_collection):
    from archive import vocab

    auth.login("historian")
    page = client.get("/events/deportation-trains-1937/edit").get_data(as_text=True)
    sent = form_fields(page)
    assert sent["route"].splitlines() == [
        "Vladivostok",
        "Khabarovsk",
        "Chita",
        "Irkutsk",
        "Krasnoyarsk",
        "Kazakhstan",
        "Uzbekistan",
    ]
    assert client.post("/events/deportation-trains-1937/edit", data=sent).status_code == 302  # saved unchanged
    trains = vocab.events(sample_collection).get("deportation-trains-1937").data["route"]
    assert trains == ["vladivostok", "khabarovsk", "chita", "irkutsk", "krasnoyarsk", "kazakhstan", "uzbekistan"]

    url = "/events/arrival-ushtobe-1937/edit"
    sent = form_fields(client.get(url).get_data(as_text=True))
    refused = client.post(url, data={**sent, "route": "Уштобе\nAtlantis"})
    assert refused.status_code == 422 and "“Atlantis” is not a place of the gazetteer" in refused.get_data(as_text=True)
    alone = client.post(url, data={**sent, "route": "Уштобе"})
    assert alone.status_code == 422 and "give two places or more" in alone.get_data(as_text=True)
    in_russian = client.post(f"{url}?lang=ru", data={**sent, "route": "Уштобе\nAtlantis"}).get_data(as_text=True)
    assert "«Atlantis» нет среди мест справочника" in in_russian  # said in the reader's language
    assert client.post(url, data={**sent, "route": "Уштобе\nTaldykorgan\n알마티"}).status_code == 302
    assert vocab.events(sample_collection).get("arrival-ushtobe-1937").data["route"] == [
        "ushtobe",
        "taldykorgan",
        "almaty",
    ]
    event = client.get("/events/arrival-ushtobe-1937").get_data(as_text=True)
    assert 'href="/map#route-arrival-ushtobe-1937"' in event
    drawn = client.get("/map").get_data(as_text=True)
    assert 'data-event="arrival-ushtobe-1937"' in drawn and 'id="route-arrival-ushtobe-1937"' in drawn
