"""Researchers ask for access to records kept for staff; staff grant (optionally until a day) or refuse; a grant opens
that one record to that one account, never a family's, an embargoed or a withdrawn record, and never a redaction.

Real parts throughout: the app's test client through the real forms, records ingested into a temporary collection,
the real Whoosh index, the accounts database, and the app's clock moved by hand for the end of a grant."""

import datetime
import html
import json
import re
import sqlite3
import time

import pytest
from conftest import PASSWORD, csrf_token
from factories import jpeg, wav

from archive import accounts, annotations, audit, contributions, interviews, media
from archive.ingest import Ingester
from archive.vocab import gazetteer

SECRET = "zqgrantedvex"  # a word and a surname only the staff interview holds
WITHHELD = "zqwithheldvex"  # a word inside its redacted passage
REMARK = "zqremarkvex"  # a word of a historian's note on it
FUTURE = str(datetime.date.today() + datetime.timedelta(days=30))


class Clock:
    """The app's clock, moved by the test (starting at the real time)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    app.extensions["clock"] = Clock()
    return app.extensions["clock"]


@pytest.fixture
def world(app, collection):
    """A staff interview (with a redacted passage) and a staff photo; a family, an embargoed and a withdrawn interview,
    each otherwise staff-only; accounts: two researchers and a historian."""
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    family = contributions.submit(
        collection,
        {"name": "A family", "relation": "son", "narrator": "Anna", "story_text": "A story.", "visibility": "family"},
        None,
        [],
        app.extensions["image_limits"],
        "en",
    )
    ids = {}
    for name, extra in {
        "staff": {},
        "family": {"access": "family", "contribution": family.submission_id},
        "embargoed": {"embargo_until": FUTURE},
        "withdrawn": {"withdrawn": str(datetime.date.today())},
    }.items():
        word = SECRET if name == "staff" else f"zq{name}vex"
        text = f"[00:00:05] Anna: We came to Ushtobe. The word {word} was said. The neighbour {WITHHELD} told on us."
        outcome = ingester.ingest(
            text.encode(),
            f"{name}.txt",
            {"title": f"Testimony {word}", "surnames": word, "villages": "Ushtobe", "access": "staff", **extra},
            wav(),
            "a.wav",
        )
        assert outcome.status == "ingested", outcome.reason
        ids[name] = outcome.interview_id
    full = interviews.transcript_text(interviews.segments(collection, ids["staff"]))[0]
    start = full.index("The neighbour")
    annotations.create(
        collection, ids["staff"], start, full.index("us.") + 3, annotations.bodies(collection, {}, [], "", True), "s"
    )
    remark = annotations.bodies(collection, {}, [], REMARK)  # kept in the interview's annex (search.schema)
    annotations.create(collection, ids["staff"], 0, full.index(" "), remark, "s")
    item = media.MediaIngester(collection, app.extensions["image_limits"], "setup", app.extensions["indexer"]).ingest(
        jpeg("navy", (64, 48)), "p.jpg", {"title": f"Photo {SECRET}", "places": "Ushtobe", "access": "staff"}
    )
    assert item.status == "ingested", item.reason
    ids["item"] = item.interview_id
    app.extensions["search"].update(
        [*(ids[k] for k in ("staff", "family", "embargoed", "withdrawn")), f"media/{ids['item']}"]
    )
    with app.app_context():
        for name, role in (("rita", "researcher"), ("oleg", "researcher"), ("hanna", "historian")):
            accounts.add_user(name, role, PASSWORD)
    return ids


def signed_in(app, name: str):
    client = app.test_client()
    token = csrf_token(client.get("/auth/signin"))
    response = client.post("/auth/signin", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def status(client, url: str) -> int:
    """Fetch a file and close it (files are streamed)."""
    response = client.get(url)
    response.close()
    return response.status_code


def ask(client, url: str, reason: str):
    page = client.get(url)
    return client.post(url, data={"reason": reason, "csrf_token": csrf_token(page)})


def decide(client, number: int, decision: str, until: str = "", note: str = ""):
    page = client.get("/requests/")
    token = csrf_token(page)
    data = {
        f"r{number}-csrf_token": token,
        f"r{number}-until": until,
        f"r{number}-note": note,
        f"r{number}-{decision}": "1",
    }
    return client.post(f"/requests/{number}", data=data)


def only_request(app) -> accounts.AccessRequest:
    with app.app_context():
        (found,) = accounts.access_requests()
    return found


def test_a_researcher_gets_403_with_a_form_and_the_anonymous_reader_a_plain_404(app, world):
    anonymous = app.test_client()
    for url in (f"/interviews/{world['staff']}", f"/media/{world['item']}"):
        response = anonymous.get(url)
        assert response.status_code == 404 and "ask" not in response.get_data(as_text=True).lower()
    rita = signed_in(app, "rita")
    page = rita.get(f"/interviews/{world['staff']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "This interview is kept for the archive&#39;s staff." in text
    assert f'action="/interviews/{world["staff"]}/ask"' in text and 'name="reason"' in text
    assert SECRET not in text  # not even its title
    assert rita.get(f"/media/{world['item']}").status_code == 403
    assert rita.get(f"/interviews/{world['staff']}/transcript.txt").status_code == 403
    problem = rita.get(f"/api/v1/interviews/{world['staff']}/annotations")
    assert problem.status_code == 403 and problem.get_json()["code"] == "restricted"
    assert SECRET not in problem.get_data(as_text=True)
    # a record nobody may ask for stays simply not there
    for name in ("family", "embargoed", "withdrawn"):
        assert rita.get(f"/interviews/{world[name]}").status_code == 404
        assert rita.get(f"/interviews/{world[name]}/ask").status_code == 404


def test_asking_needs_a_reason_keeps_what_was_typed_and_is_logged(app, world):
    rita = signed_in(app, "rita")
    url = f"/interviews/{world['staff']}/ask"
    empty = ask(rita, url, "   ")
    assert empty.status_code == 422 and "Please say why you need this record." in empty.get_data(as_text=True)
    long = ask(rita, url, "Ж" * 2001)
    assert long.status_code == 422 and "Please write at most 2000 characters." in long.get_data(as_text=True)
    assert "Ж" * 2001 in long.get_data(as_text=True)  # nothing typed is lost
    with app.app_context():
        assert accounts.access_requests() == []
    reason = "Моя диссертация о депортации 1937 года <b>& семья Пак</b>"
    sent = ask(rita, url, reason)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(url)
    asked = only_request(app)
    assert (asked.user.name, asked.record, asked.reason, asked.state) == (
        "rita",
        f"interviews/{world['staff']}",
        reason,
        "asked",
    )
    page = rita.get(f"/interviews/{world['staff']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and "Waiting for an answer" in text
    assert "&lt;b&gt;&amp; семья Пак&lt;/b&gt;" in text and 'name="reason"' not in text  # asked once, escaped
    again = rita.post(url, data={"reason": "again", "csrf_token": csrf_token(rita.get("/requests/"))})
    assert again.status_code == 422
    with app.app_context():
        assert len(accounts.access_requests()) == 1
    logged = [e for e in audit.entries(app.extensions["collection"].root) if e.action == "access-asked"]
    assert [(e.author, e.record, e.note) for e in logged] == [("rita", f"interviews/{world['staff']}", reason)]


def test_a_grant_opens_the_record_its_files_and_search_to_that_account_only(app, world):
    rita, oleg = signed_in(app, "rita"), signed_in(app, "oleg")
    assert rita.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 0
    for url in (f"/interviews/{world['staff']}/ask", f"/media/{world['item']}/ask"):
        assert ask(rita, url, "For my thesis.").status_code == 302
    hanna = signed_in(app, "hanna")
    queue = hanna.get("/requests/").get_data(as_text=True)
    assert f"Testimony {SECRET}" in queue and "rita" in queue and "For my thesis." in queue
    with app.app_context():
        numbers = [r.id for r in accounts.access_requests()]
    for number in numbers:
        assert decide(hanna, number, "grant").status_code == 302
    page = rita.get(f"/interviews/{world['staff']}")
    assert page.status_code == 200 and SECRET in page.get_data(as_text=True)
    assert WITHHELD not in page.get_data(as_text=True)  # a redaction stays
    transcript = rita.get(f"/interviews/{world['staff']}/transcript.txt").get_data(as_text=True)
    assert SECRET in transcript and WITHHELD not in transcript and "[passage withheld]" in transcript
    assert rita.get(f"/media/{world['item']}").status_code == 200
    for size in ("thumb", "display"):
        assert status(rita, f"/media/{world['item']}/{size}/1") == 200
    assert status(rita, f"/media/{world['item']}/original") in (403, 404)  # originals stay staff's
    found = rita.get(f"/api/v1/search?q={SECRET}").get_json()
    assert found["total"] == 2 and WITHHELD not in json.dumps(found)
    facets = json.dumps(rita.get("/api/v1/search").get_json()["facets"], ensure_ascii=False)
    assert SECRET in facets
    assert world["staff"] in rita.get("/interviews/").get_data(as_text=True)
    assert rita.get(f"/api/v1/search?q={WITHHELD}").get_json()["total"] == 0
    assert rita.get(f"/api/v1/search?q={REMARK}").get_json()["total"] == 1  # the grant opens its notes' words too
    assert oleg.get(f"/api/v1/search?q={REMARK}").get_json()["total"] == 0
    # another researcher: still 403 and nothing in search
    assert oleg.get(f"/interviews/{world['staff']}").status_code == 403
    assert oleg.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 0
    assert SECRET not in json.dumps(oleg.get("/api/v1/search").get_json(), ensure_ascii=False)
    assert world["staff"] not in oleg.get("/interviews/").get_data(as_text=True)
    logged = [e for e in audit.entries(app.extensions["collection"].root) if e.action == "access-granted"]
    assert {(e.author, e.record) for e in logged} == {
        ("hanna", f"interviews/{world['staff']}"),
        ("hanna", f"media/{world['item']}"),
    }


def test_a_grant_ends_after_its_last_day_by_the_apps_clock(app, world, clock):
    rita = signed_in(app, "rita")
    ask(rita, f"/interviews/{world['staff']}/ask", "A week of reading.")
    hanna = signed_in(app, "hanna")
    with app.app_context():
        today = accounts.today()
    yesterday = str(today - datetime.timedelta(days=1))
    refused = decide(hanna, only_request(app).id, "grant", until=yesterday)
    assert refused.status_code == 302 and only_request(app).state == "asked"  # a grant never ends in the past
    assert decide(hanna, only_request(app).id, "grant", until=str(today)).status_code == 302
    assert rita.get(f"/interviews/{world['staff']}").status_code == 200
    assert rita.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 1
    clock.now += 86400  # the next day: the grant until yesterday has ended (and the sessions too: sign in again)
    rita, hanna = signed_in(app, "rita"), signed_in(app, "hanna")
    page = rita.get(f"/interviews/{world['staff']}")
    assert page.status_code == 403
    assert "Your access ended on" in page.get_data(as_text=True) and 'name="reason"' in page.get_data(as_text=True)
    assert rita.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 0
    assert "ended" in hanna.get("/requests/").get_data(as_text=True)


def test_a_refusal_shows_its_note_and_the_record_stays_closed(app, world):
    rita = signed_in(app, "rita")
    ask(rita, f"/media/{world['item']}/ask", "Looking for my grandmother.")
    hanna = signed_in(app, "hanna")
    assert decide(hanna, only_request(app).id, "refuse", note="The family has not agreed yet.").status_code == 302
    assert only_request(app).state == "refused"
    page = rita.get(f"/media/{world['item']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and "Refused" in text and "The family has not agreed yet." in text
    mine = rita.get("/requests/").get_data(as_text=True)
    assert "The family has not agreed yet." in mine and SECRET not in mine  # no title of a record still closed
    assert decide(hanna, only_request(app).id, "grant").status_code == 302  # decided once
    assert only_request(app).state == "refused"
    logged = [e for e in audit.entries(app.extensions["collection"].root) if e.action == "access-refused"]
    assert [(e.author, e.record) for e in logged] == [("hanna", f"media/{world['item']}")]


def test_a_grant_never_opens_a_family_embargoed_or_withdrawn_record(app, world):
    with app.app_context():  # grants made behind the pages' backs: access.py must still refuse them
        rita = accounts.get_user("rita")
        for name in ("family", "embargoed", "withdrawn"):
            made = accounts.ask_access(rita, f"interviews/{world[name]}", "Test.")
            accounts.decide_access(made.id, accounts.GRANTED, "hanna")
    client = signed_in(app, "rita")
    for name in ("family", "embargoed", "withdrawn"):
        assert client.get(f"/interviews/{world[name]}").status_code == 404
        assert client.get(f"/api/v1/search?q=zq{name}vex").get_json()["total"] == 0
    assert client.get(f"/interviews/{world['staff']}").status_code == 403  # and the grants opened nothing else


def test_only_staff_decide_and_only_signed_in_accounts_see_requests(app, world):
    rita = signed_in(app, "rita")
    ask(rita, f"/interviews/{world['staff']}/ask", "Reason.")
    number = only_request(app).id
    refused = rita.post(f"/requests/{number}", data={f"r{number}-grant": "1", "csrf_token": csrf_token(rita.get("/"))})
    assert refused.status_code in (400, 403) and only_request(app).state == "asked"
    assert app.test_client().get("/requests/").status_code == 302  # to the sign-in page
    assert "Access requests" not in rita.get("/requests/").get_data(as_text=True)
    hanna = signed_in(app, "hanna")
    assert hanna.get(f"/interviews/{world['staff']}/ask").status_code == 302  # staff read it already


def test_the_table_is_added_to_an_older_accounts_database(app, tmp_path):
    path = tmp_path / "instance" / "accounts.sqlite3"
    path.parent.mkdir(exist_ok=True)
    old = sqlite3.connect(path)
    old.executescript(accounts.SCHEMA.split("CREATE TABLE IF NOT EXISTS access_requests")[0])
    old.close()
    app.instance_path = str(path.parent)
    with app.app_context():
        user = accounts.add_user("vera", "researcher", PASSWORD)
        made = accounts.ask_access(user, "interviews/x", "Reason.")
        assert accounts.access_request(made.id).reason == "Reason."


def test_a_date_that_is_not_one_and_a_long_note_are_refused_with_a_reason(app, world):
    ask(signed_in(app, "rita"), f"/interviews/{world['staff']}/ask", "Reason.")
    hanna = signed_in(app, "hanna")
    number = only_request(app).id
    bad = decide(hanna, number, "grant", until="next spring")
    assert "Please give the last day as a date." in hanna.get(bad.headers["Location"]).get_data(as_text=True)
    long = decide(hanna, number, "refuse", note="x" * 2001)
    assert "Please write at most 2000 characters." in hanna.get(long.headers["Location"]).get_data(as_text=True)
    assert only_request(app).state == "asked"


def test_a_grant_reaches_the_accounts_api_token_too(app, world):
    rita = signed_in(app, "rita")
    ask(rita, f"/interviews/{world['staff']}/ask", "Scripts read the transcript.")
    with app.app_context():
        token = accounts.new_token("rita")
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    url = f"/api/v1/interviews/{world['staff']}/annotations"
    assert client.get(url, headers=bearer).status_code == 403
    decide(signed_in(app, "hanna"), only_request(app).id, "grant")
    assert client.get(url, headers=bearer).status_code == 200
    assert client.get(f"/api/v1/search?q={SECRET}", headers=bearer).get_json()["total"] == 1
    assert client.get(url).status_code == 404  # the same client without its token is nobody


def test_the_command_line_lists_grants_and_refuses(app, world, runner):
    for name in ("rita", "oleg"):
        ask(signed_in(app, name), f"/interviews/{world['staff']}/ask", f"Reason of {name}.")
    listed = runner("requests", "--waiting")
    assert listed.exit_code == 0, listed.output
    assert "Reason of rita." in listed.output and "Reason of oleg." in listed.output
    with app.app_context():
        rita, oleg = sorted(accounts.access_requests(), key=lambda r: r.user.name != "rita")
    until = str(datetime.date.today() + datetime.timedelta(days=7))
    granted = runner("requests", "grant", str(rita.id), "--until", until, "--author", "hanna")
    assert granted.exit_code == 0 and f"until {until}" in granted.output
    refused = runner("requests", "refuse", str(oleg.id), "--note", "Not yet.", "--author", "hanna")
    assert refused.exit_code == 0, refused.output
    again = runner("requests", "refuse", str(rita.id))
    assert again.exit_code != 0 and "already been decided" in again.output
    assert runner("requests", "--waiting").output == ""
    assert signed_in(app, "rita").get(f"/interviews/{world['staff']}").status_code == 200
    assert "Not yet." in signed_in(app, "oleg").get(f"/interviews/{world['staff']}").get_data(as_text=True)
    logged = [e.action for e in audit.entries(app.extensions["collection"].root) if e.action.startswith("access-")]
    assert logged == ["access-asked", "access-asked", "access-granted", "access-refused"]


def test_staff_end_a_grant_early_and_the_record_closes_at_once(app, world):
    rita = signed_in(app, "rita")
    ask(rita, f"/interviews/{world['staff']}/ask", "Reason.")
    hanna = signed_in(app, "hanna")
    number = only_request(app).id
    decide(hanna, number, "grant")
    assert rita.get(f"/interviews/{world['staff']}").status_code == 200
    assert "End this grant now" in hanna.get("/requests/").get_data(as_text=True)
    assert decide(hanna, number, "revoke", note="The family asked us to close it.").status_code == 302
    page = rita.get(f"/interviews/{world['staff']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and "Access ended by the staff" in text and "The family asked us" in text
    assert rita.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 0
    assert decide(hanna, number, "revoke").status_code == 302 and only_request(app).state == "revoked"
    logged = [e for e in audit.entries(app.extensions["collection"].root) if e.action == "access-refused"]
    assert [e.note for e in logged] == ["revoked for rita: The family asked us to close it."]


def test_the_staff_tools_link_one_records_requests(app, world):
    for name, url in (("rita", f"/interviews/{world['staff']}/ask"), ("oleg", f"/media/{world['item']}/ask")):
        ask(signed_in(app, name), url, f"Reason of {name}.")
    hanna = signed_in(app, "hanna")
    page = hanna.get(f"/interviews/{world['staff']}").get_data(as_text=True)
    link = re.search(r'href="(/requests/\?record=[^"]+)"', page).group(1)
    listed = hanna.get(html.unescape(link)).get_data(as_text=True)
    assert "Reason of rita." in listed and "Reason of oleg." not in listed
    assert "Reason of oleg." in hanna.get(f"/requests/?record=media/{world['item']}").get_data(as_text=True)
    assert "/requests/" in hanna.get("/").get_data(as_text=True)  # the staff navigation
    assert 'href="/requests/"' not in signed_in(app, "rita").get("/").get_data(as_text=True)


def test_access_py_decides_what_a_grant_opens_and_who_may_ask():
    from archive import access

    rita = accounts.User(1, "rita", "researcher")
    granted = access.Reader(rita, grants=frozenset({"interviews/a", "media/b"}))
    staff_record = {"access": "staff"}
    assert access.can_read(granted, staff_record, "interviews/a")
    assert access.can_read(granted, staff_record, "media/b")
    assert not access.can_read(granted, staff_record, "interviews/b")  # another record
    assert not access.can_read(granted, staff_record)  # a caller that names no record opens nothing
    assert not access.can_read(access.Reader(rita), staff_record, "interviews/a")  # another reader of the account
    for closed in (
        {"access": "family", "contribution": "c"},
        {"access": "staff", "embargo_until": FUTURE},
        {"access": "staff", "withdrawn": "2026-01-01"},
        {"access": "staff", "deleted": {"time": "2026-01-01T00:00:00Z", "author": "x", "reason": ""}},
    ):
        assert not access.can_read(granted, closed, "interviews/a"), closed
        assert not access.may_ask(access.Reader(rita), closed, "interviews/a"), closed
    assert not access.sees_redactions(granted) and not access.can_fetch_original(granted)
    assert access.may_ask(access.Reader(rita), staff_record, "interviews/a")
    assert not access.may_ask(granted, staff_record, "interviews/a")  # already open to it
    assert not access.may_ask(access.Reader(), staff_record, "interviews/a")  # nobody signed in
    assert not access.may_ask(accounts.User(2, "hanna", "historian"), staff_record, "interviews/a")
    assert not access.may_ask(access.Reader(rita), {"access": "researchers"}, "interviews/a")  # already readable
    # a historian's grants are not needed and not used: staff read everything but deleted records anyway
    assert access.granted(access.Reader(accounts.User(2, "hanna", "historian"), grants=frozenset({"x"}))) == set()
