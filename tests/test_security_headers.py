"""Every response carries the security headers, and nothing a signed-in or family reader receives may be stored.

The walk covers every rule of `app.url_map` with real values for its arguments (a record at every access level, a
family contribution and its receipt, annotations, vocabulary entries), every method the rule takes, as four kinds
of reader; a rule the walk cannot fill in fails the test rather than being skipped.
"""

import itertools

import pytest
from conftest import PASSWORD, csrf_token
from factories import jpeg, wav

from archive import accounts, annotations, contributions, create_app, media
from archive.contributions import Upload
from archive.ingest import Ingester
from archive.vocab import gazetteer

LEVELS = ("public", "researchers", "family", "staff")
READERS = ("anonymous", "family", "researcher", "historian")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An interview (with audio and an annotation) and a photo at every access level, a family contribution whose
    receipt opens the family ones, and accounts."""
    root = tmp_path_factory.mktemp("headers")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a fault is a 500 to count, not an exception in the test
    collection, search = app.extensions["collection"], app.extensions["search"]
    limits = app.extensions["image_limits"]
    receipt = contributions.submit(
        collection,
        {
            "name": "Family",
            "relation": "grandson",
            "narrator": "Someone",
            "story_text": "A story.",
            "visibility": "family",
        },
        None,
        [Upload(jpeg("gray"), "inbox.jpg", "inbox photo")],
        limits,
        "en",
    )
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    items = media.MediaIngester(collection, limits, "setup", app.extensions["indexer"])
    records = {}
    for n, level in enumerate(LEVELS):
        extra = {"contribution": receipt.submission_id} if level == "family" else {}
        made = ingester.ingest(
            f"Anna: We came to Ushtobe in {1937 + n}.".encode(),
            f"{level}.txt",
            {"title": f"Testimony {level}", "villages": "Ushtobe", "access": level, **extra},
            wav(),
            "a.wav",
        )
        assert made.status == "ingested", made.reason
        note = annotations.create(
            collection,
            made.interview_id,
            0,
            4,
            annotations.bodies(collection, {"events": ["arrival-ushtobe-1937"]}, [], "a note"),
            "setup",
        )
        item = items.ingest(
            jpeg((40 * n, 90, 120)),
            f"{level}.jpg",
            {"title": f"Photo {level}", "access": level, "interviews": [made.interview_id], **extra},
        )
        assert item.status == "ingested", item.reason
        records[level] = (made.interview_id, annotations.short_id(note), item.interview_id)
    search.update([i for interview_id, _, item_id in records.values() for i in (interview_id, f"media/{item_id}")])
    with app.app_context():
        for role in ("researcher", "historian"):
            accounts.add_user(role, role, PASSWORD)
    return app, records, receipt


def reader(world, kind: str):
    app, _, receipt = world
    client = app.test_client()
    if kind in ("researcher", "historian"):
        token = csrf_token(client.get("/auth/signin"))
        answer = client.post("/auth/signin", data={"name": kind, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302
    elif kind == "family":
        assert client.get(f"/contribute/receipt/{receipt.submission_id}/{receipt.token}").status_code == 302
    return client


def argument_values(world) -> dict[str, list[dict]]:
    """For each group of arguments that belong together, every combination to try."""
    _, records, receipt = world
    return {
        "interview_id": [{"interview_id": i} for i, _, _ in records.values()],
        "annotation_id": [{"interview_id": i, "annotation_id": a} for i, a, _ in records.values()],
        "item_id": [{"item_id": m} for _, _, m in records.values()],
        "submission_id": [{"submission_id": receipt.submission_id}],
        "token": [{"submission_id": receipt.submission_id, "token": receipt.token}],
        "entry_id": [
            {"kind": "events", "entry_id": "arrival-ushtobe-1937"},
            {"kind": "places", "entry_id": "ushtobe"},
            {"kind": "people", "entry_id": "joseph-stalin"},
        ],
        "kind": [{"kind": k} for k in ("events", "places", "people")],
        "n": [{"n": 1}],
        "part": [{"part": 1}],
        "page": [{"page": 1}],
        "name": [{"name": "files/photo-1.jpg"}],
        "facet": [{"facet": "villages"}, {"facet": "surnames"}, {"facet": "decades"}],
        "surname_id": [{"surname_id": "kim"}],
        "filename": [{"filename": "css/archive.css"}, {"filename": "js/forms.js"}],
        "stamp": [{"stamp": "2026-01-01T00-00-00.000000Z"}],  # a version of a record's history (none is there)
        "extension": [{"extension": e} for e in ("json", "bib", "ris")],  # the citation's formats
    }


def urls(app, rule, values: dict[str, list[dict]]) -> list[str]:
    """Every URL of a rule that the world's values fill in (an argument group covers the arguments it names)."""
    groups = []
    left = set(rule.arguments)
    for name in (
        "token",
        "annotation_id",
        "entry_id",
        "interview_id",
        "item_id",
        "submission_id",
        "kind",
        "n",
        "part",
        "page",
        "name",
        "facet",
        "surname_id",
        "filename",
        "stamp",
        "extension",
    ):
        if name in left:
            options = values[name]
            groups.append(options)
            left -= set(options[0])
    assert not left, f"the walk has no values for {sorted(left)} of {rule.rule}"
    built = []
    with app.test_request_context():
        for combination in itertools.product(*groups) if groups else [()]:
            arguments = {k: v for part in combination for k, v in part.items()}
            if rule.defaults:
                arguments = {**arguments, **rule.defaults}
            built.append(rule.build(arguments, append_unknown=False)[1])
    return sorted(set(built))


def walk(world, kind: str):
    """Yield (method, url, endpoint, response) for every rule, method and URL, as one reader."""
    app = world[0]
    client = reader(world, kind)
    values = argument_values(world)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "auth.signout":
            continue  # walked last: signing out would end the reader's session
        for url in urls(app, rule, values):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                yield method, url, rule.endpoint, response
                response.close()
    response = client.post("/auth/signout")
    yield "POST", "/auth/signout", "auth.signout", response


@pytest.mark.parametrize("kind", READERS)
def test_every_route_sends_the_security_headers_and_the_caching_rule(world, kind):
    problems, seen = [], set()
    for method, url, endpoint, response in walk(world, kind):
        seen.add(endpoint)
        where = f"{kind} {method} {url} ({response.status_code})"
        headers = response.headers
        if response.status_code >= 500:
            problems.append(f"{where}: server error")
        expected = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        }
        for name, value in expected.items():
            if headers.get(name) != value:
                problems.append(f"{where}: {name} is {headers.get(name)!r}")
        if not strict(headers.get("Content-Security-Policy", "")):
            problems.append(f"{where}: Content-Security-Policy is {headers.get('Content-Security-Policy')!r}")
        if "Strict-Transport-Security" in headers:
            problems.append(f"{where}: HSTS sent although ARCHIVE_HTTPS is off")
        if endpoint == "static":
            continue
        cache = headers.get("Cache-Control", "")
        must_not_store = kind != "anonymous" or endpoint.startswith(("auth.", "moderate.")) or "Set-Cookie" in headers
        if must_not_store and cache != "no-store":
            problems.append(f"{where}: Cache-Control is {cache!r}, not no-store")
        if not must_not_store and not ({"no-cache", "no-store"} & {p.strip() for p in cache.split(",")}):
            problems.append(f"{where}: Cache-Control {cache!r} lets a cache serve it without asking")
    every = {rule.endpoint for rule in world[0].url_map.iter_rules()}
    assert seen == every, f"rules not walked: {sorted(every - seen)}"
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def strict(policy: str) -> bool:
    """A policy with no inline or evaluated script or style, no plugins, no <base>, no framing, forms to here."""
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    return (
        bool(policy)
        and "unsafe-" not in policy
        and directives.get("default-src") == "'self'"
        and directives.get("script-src") == directives.get("style-src") == "'self'"
        and directives.get("frame-ancestors") == directives.get("object-src") == directives.get("base-uri") == "'none'"
        and directives.get("form-action") == "'self'"
    )


def test_restricted_pages_reach_their_readers_and_are_not_stored(world):
    """The walk above checks headers; this checks that it walked real restricted content, not only refusals."""
    _, records, receipt = world
    family, historian = reader(world, "family"), reader(world, "historian")
    interview_id, _, item_id = records["family"]
    for client, url in (
        (family, f"/interviews/{interview_id}"),
        (family, f"/media/{item_id}/display/1"),
        (family, f"/contribute/receipt/{receipt.submission_id}"),
        (family, f"/interviews/{interview_id}/audio"),
        (historian, f"/interviews/{records['staff'][0]}"),
        (historian, "/moderate/"),
        (historian, f"/media/{records['staff'][2]}/original"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        response.close()


def test_hsts_is_sent_when_the_archive_is_reached_over_https(tmp_path):
    app = create_app(
        {"TESTING": True, "ARCHIVE_DATA": tmp_path, "ARCHIVE_INDEX_CHECK_AT_START": False, "ARCHIVE_HTTPS": True}
    )
    for url in ("/", "/static/css/archive.css", "/no-such-page"):
        response = app.test_client().get(url)
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), url
        response.close()
