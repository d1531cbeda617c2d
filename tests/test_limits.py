"""Races and limits: a double click on a family's receipt never gives 500 and never loses a withdrawal; the sign-in
and contribution limits hold under concurrent requests across worker processes; failed sign-ins from elsewhere delay
an account but never lock its owner out; tokens expire, are listed and revoked; accounts can be disabled."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import PASSWORD, csrf_token, start_server
from test_contribute import GOOD, send
from werkzeug.test import encode_multipart

from archive import accounts, contributions

# --- a browser of our own, for real concurrent HTTP against `archive serve` ---------------------------------------


class Browser:
    """A cookie-keeping HTTP client (one per person), whose requests may be made from many threads at once."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            with self.opener.open(
                urllib.request.Request(self.base + path, data=data, headers=headers), timeout=120
            ) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def token(self, path: str) -> str:
        status, page = self.request(path)
        assert status == 200, page
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def post(self, path: str, fields: dict, token_from: str | None = None) -> tuple[int, str]:
        boundary, body = encode_multipart({"csrf_token": self.token(token_from or path), **fields})
        return self.request(path, body, f"multipart/form-data; boundary={boundary}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to count, not to follow


@pytest.fixture
def servers(app, tmp_path):
    """Start servers on the app's data root on demand; all are stopped at the end."""
    started = []

    def start(**settings) -> str:
        server, base = start_server(app.config["ARCHIVE_DATA"], tmp_path / f"server-{len(started)}.log", **settings)
        started.append(server)
        return base

    yield start
    for server in started:
        server.terminate()
        server.wait(10)


def at_once(count: int, act) -> list:
    """Run act(n) in `count` threads released together; return their results in order."""
    results = [None] * count
    gate = threading.Barrier(count)

    def run(n):
        gate.wait()
        results[n] = act(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


# --- 5. races on the receipt page ---------------------------------------------------------------------------------


def test_double_clicks_on_the_receipt_never_fail_and_lose_nothing(app, collection, servers):
    base = servers()
    family = Browser(base)
    status, _ = family.post("/contribute/", {**GOOD, "story_text": "A story."})
    assert status == 302
    [submission_id] = collection.ids("contributions")
    receipt = f"/contribute/receipt/{submission_id}"
    token = family.token(receipt)

    def send_form(what: str, fields: dict) -> int:
        boundary, body = encode_multipart({"csrf_token": token, **fields})
        return family.request(f"{receipt}/{what}", body, f"multipart/form-data; boundary={boundary}")[0]

    added = at_once(12, lambda n: send_form("add", {"text": f"correction {n}"}))
    assert added == [302] * 12, added
    log = contributions.load(collection, submission_id).record["log"]
    assert sorted(e["text"] for e in log if e["action"] == "correction") == sorted(f"correction {n}" for n in range(12))

    # withdrawals and additions at once: no 500, and consent ends up withdrawn, once
    mixed = at_once(
        10, lambda n: send_form("withdraw", {"confirm": "y"}) if n % 2 else send_form("add", {"text": f"late {n}"})
    )
    assert all(s < 500 for s in mixed), mixed
    assert [s for n, s in enumerate(mixed) if n % 2] == [302] * 5, mixed
    record = contributions.load(collection, submission_id).record
    assert record["status"] == "withdrawn"
    assert sum(e["action"] == "withdrawn" for e in record["log"]) == 1
    assert not list(collection.verify())


def test_a_withdrawal_is_written_over_a_change_made_meanwhile(app, client, collection):
    sent = send(client)
    stale = contributions.load(collection, sent.id)
    contributions.ask(collection, stale, "Where was the photo taken?", "historian")  # the copy above is now stale
    contributions.withdraw(collection, stale)
    record = contributions.load(collection, sent.id).record
    assert record["status"] == "withdrawn" and [e["action"] for e in record["log"]][-2:] == ["question", "withdrawn"]


def test_an_answer_is_written_over_a_question_asked_meanwhile(app, client, collection):
    sent = send(client)
    stale = contributions.load(collection, sent.id)
    contributions.ask(collection, stale, "Who is in the photo?", "historian")
    contributions.add_from_contributor(collection, stale, "My grandmother.", [], app.extensions["image_limits"])
    log = contributions.load(collection, sent.id).record["log"]
    assert [(e["action"], e.get("text")) for e in log][-2:] == [
        ("question", "Who is in the photo?"),
        ("reply", "My grandmother."),
    ]


# --- 5. limits that hold under concurrency, across processes ------------------------------------------------------


def test_concurrent_wrong_passwords_from_one_address_get_no_more_than_the_limit(app, servers):
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
    bases = [servers(), servers()]  # two worker processes sharing the accounts database
    people = [Browser(base) for base in bases for _ in range(20)]
    tokens = [person.token("/auth/signin") for person in people]

    def guess(n):
        boundary, body = encode_multipart({"csrf_token": tokens[n], "name": "anna", "password": f"wrong guess {n}"})
        return people[n].request("/auth/signin", body, f"multipart/form-data; boundary={boundary}")[0]

    answers = at_once(40, guess)
    assert set(answers) <= {401, 429}, answers
    assert answers.count(401) == int(app.config["ARCHIVE_SIGNIN_MAX_FAILURES"]), answers  # 5 checked, 35 refused


def test_concurrent_testimonies_from_one_address_get_no_more_than_the_limit(app, collection, servers):
    bases = [servers(ARCHIVE_CONTRIBUTIONS_PER_HOUR=5), servers(ARCHIVE_CONTRIBUTIONS_PER_HOUR=5)]
    people = [Browser(base) for base in bases for _ in range(10)]
    bodies = [
        encode_multipart({"csrf_token": p.token("/contribute/"), **GOOD, "story_text": f"Story {n}."})
        for n, p in enumerate(people)
    ]
    answers = at_once(
        20,
        lambda n: people[n].request("/contribute/", bodies[n][1], f"multipart/form-data; boundary={bodies[n][0]}")[0],
    )
    assert sorted(answers) == [302] * 5 + [429] * 15, answers
    assert len(collection.ids("contributions")) == 5


# --- 6. no lockout: a delay per name, limits per address ----------------------------------------------------------


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


def sign_in(app, name: str, password: str, address: str, client=None):
    client = client or app.test_client()
    token = csrf_token(client.get("/auth/signin", environ_base={"REMOTE_ADDR": address}))
    return client.post(
        "/auth/signin",
        data={"name": name, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_stranger_cannot_lock_the_owner_out(app, clock):
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
    stranger = app.test_client()
    answers = []
    for _ in range(50):
        answers.append(sign_in(app, "anna", "not her password", "203.0.113.66", stranger).status_code)
        clock.now += 0.5
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}  # the stranger's address is stopped at once
    owner = sign_in(app, "anna", PASSWORD, "198.51.100.7")  # from her own address, in a new browser
    if owner.status_code == 429:  # a short delay at most, never the 15-minute lockout of before
        wait = int(owner.headers["Retry-After"])
        assert wait <= int(app.config["ARCHIVE_SIGNIN_MAX_DELAY"]) + 1
        clock.now += wait
        owner = sign_in(app, "anna", PASSWORD, "198.51.100.7")
    assert owner.status_code == 302


def test_many_addresses_guess_slowly_and_the_owners_browser_is_spared(app, clock):
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
    owners_browser = app.test_client()
    assert sign_in(app, "anna", PASSWORD, "198.51.100.7", owners_browser).status_code == 302
    owners_browser.post("/auth/signout", data={"csrf_token": csrf_token(owners_browser.get("/"))})
    checked, started = 0, clock.now
    for n in range(300):  # 300 addresses, one guess each, over about five minutes
        answer = sign_in(app, "anna", f"guess {n}", f"10.1.{n // 250}.{n % 250}")
        checked += answer.status_code == 401
        assert answer.status_code in (401, 429)
        clock.now += 1.0
    minutes = (clock.now - started) / 60
    cap = int(app.config["ARCHIVE_SIGNIN_MAX_DELAY"])
    assert checked <= int(app.config["ARCHIVE_SIGNIN_MAX_FAILURES"]) + 8 + minutes * 60 / cap  # not 300
    # right after a checked guess, any new browser must wait; the owner's own browser signs in at once
    while sign_in(app, "anna", "one more guess", "10.9.9.8").status_code != 401:
        clock.now += 5
    assert sign_in(app, "anna", PASSWORD, "10.9.9.9").status_code == 429
    assert sign_in(app, "anna", PASSWORD, "198.51.100.7", owners_browser).status_code == 302


def test_failures_are_forgotten_after_the_window(app, clock):
    app.config.update(ARCHIVE_SIGNIN_MAX_FAILURES=3, ARCHIVE_SIGNIN_WINDOW=60)
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
        for _ in range(3):
            assert accounts.authenticate("anna", "wrong password!", "10.0.0.1") is None
        with pytest.raises(accounts.SignInThrottled):
            accounts.authenticate("anna", PASSWORD, "10.0.0.1")
        clock.now += 61
        assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"


# --- 6. tokens and disabled accounts --------------------------------------------------------------------------------


def test_tokens_expire_are_listed_and_revoked(app, runner, clock):
    with app.app_context():
        accounts.add_user("anna", "researcher", PASSWORD)
    made = runner("user", "token", "anna", "--days", "30")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    second = runner("user", "token", "anna").stdout.strip().splitlines()[-1]
    listed = runner("user", "tokens", "anna").stdout
    assert token[:8] in listed and second[:8] in listed and token not in listed
    assert "anna\tresearcher\tactive\t2 tokens, first expires" in runner("user", "list").stdout
    client = app.test_client()
    assert client.get("/api/v1/media", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    clock.now = time.time() + 31 * 86400  # a month later, by the app's clock
    assert client.get("/api/v1/media", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/media", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    revoked = runner("user", "revoke", "anna", second[:8])
    assert revoked.exit_code == 0 and "Revoked 1 token" in revoked.stdout
    assert client.get("/api/v1/media", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert runner("user", "revoke", "anna", "zzzzzzzz").exit_code != 0
    assert "Revoked 1 token" in runner("user", "revoke", "anna").stdout  # the expired one, still listed
    assert "no API tokens" in runner("user", "tokens", "anna").stdout


def test_every_token_prefix_can_be_typed_after_revoke(app, runner):
    """A prefix beginning with "-" is read as an option (CI met one in 64 runs); tokens never begin so."""
    with app.app_context():
        accounts.add_user("anna", "researcher", PASSWORD)
        made = [accounts.new_token("anna") for _ in range(300)]
    assert not [token for token in made if token.startswith("-")]
    revoked = runner("user", "revoke", "anna", "--", made[0][:8])  # how an older "-" prefix is typed
    assert revoked.exit_code == 0 and "Revoked 1 token" in revoked.stdout


def test_a_disabled_account_cannot_sign_in_and_its_session_and_tokens_stop(app, runner, auth, client):
    auth.login("historian")
    with app.app_context():
        token = accounts.new_token("historian")
    assert client.get("/moderate/").status_code == 200
    assert runner("user", "disable", "historian").exit_code == 0
    assert "disabled" in runner("user", "list").stdout
    assert client.get("/moderate/").status_code == 302  # the open session has ended
    api = app.test_client().get("/api/v1/media", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    refused = auth.sign_in("historian")
    assert refused.status_code == 403 and "disabled" in refused.get_data(as_text=True)
    assert runner("user", "enable", "historian").exit_code == 0
    assert auth.sign_in("historian").status_code == 302
    assert runner("user", "disable", "nobody").exit_code != 0
