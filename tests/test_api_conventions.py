"""The API's conventions, which every endpoint follows (README, "API"): RFC 9457 problem documents for every error,
an ETag on what a script may change and If-Match to change it (412 naming who changed it first, 428 where If-Match
is required), RFC 8288 Link headers on lists, and an OpenAPI 3.1 document generated from the code."""

import json
import re

import pytest
from werkzeug.exceptions import NotFound

from archive import accounts, annotations
from archive.search import IndexUnavailable
from archive.views import problems
from archive.views.paging import link_header

INTERVIEW = "1s12p03r"  # the sample WebVTT interview: Pavel Kim
QUOTE = "Freight cars, the kind for cattle."
PLAIN = {code for code, _ in problems.PLAIN.values()} - set(problems.KINDS)


@pytest.fixture
def tokens(app, sample_collection):
    """Bearer tokens of two historians and a researcher."""
    with app.app_context():
        for name, role in (("anna", "historian"), ("boris", "historian"), ("reader", "researcher")):
            accounts.add_user(name, role, "a long enough password")
        return {name: accounts.new_token(name) for name in ("anna", "boris", "reader")}


def bearer(token: str, **headers) -> dict:
    return {"headers": {"Authorization": f"Bearer {token}", **headers}}


def annotation(exact=QUOTE, note="The wagons."):
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [
            {"type": "SpecificResource", "source": "/events/arrival-ushtobe-1937"},
            {"type": "TextualBody", "value": note, "purpose": "commenting"},
        ],
        "target": {"source": f"/interviews/{INTERVIEW}", "selector": {"type": "TextQuoteSelector", "exact": exact}},
    }


def problem(response, status: int, code: str, field: str | None = None) -> dict:
    """Check that a response is a problem document of this status, code and field; return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    document = response.get_json()
    assert document["status"] == status and document["code"] == code
    assert document["title"] and document["detail"]
    assert document.get("field") == field
    if code in PLAIN:
        assert document["type"] == "about:blank"
    else:
        assert document["type"] == f"http://localhost/api/v1/problems#{code}"
        assert document["title"] == problems.KINDS[code].title
    return document


def test_every_kind_of_api_error_is_a_problem_document(app, client, tokens, auth, monkeypatch):
    collection_url = f"/api/v1/interviews/{INTERVIEW}/annotations"
    problem(client.get("/api/v1/no-such-thing"), 404, "not-found")
    problem(client.get("/api/v1/media/no-such-item"), 404, "not-found")
    refused = problem(client.delete("/api/v1/search"), 405, "method-not-allowed")
    assert refused and "GET" in client.delete("/api/v1/search").headers["Allow"]
    bad = client.get("/api/v1/search", headers={"Authorization": "Bearer not-a-token"})
    problem(bad, 401, "unauthorized")
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    problem(client.post(collection_url, json=annotation()), 401, "unauthorized")
    problem(client.post(collection_url, json=annotation(), **bearer(tokens["reader"])), 403, "forbidden")
    unreadable = client.post(collection_url, data="{", content_type="application/json", **bearer(tokens["anna"]))
    problem(unreadable, 400, "body-unreadable")
    problem(client.post(collection_url, data="x", **bearer(tokens["anna"])), 400, "body-unreadable")
    unquoted = client.post(collection_url, json=annotation("words nobody said"), **bearer(tokens["anna"]))
    problem(unquoted, 422, "annotation-invalid", "target")
    wrong_event = annotation()
    wrong_event["body"][0]["source"] = "/events/no-such-event"
    problem(
        client.post(collection_url, json=wrong_event, **bearer(tokens["anna"])), 422, "annotation-invalid", "events"
    )
    auth.login("historian")
    problem(client.post(collection_url, json=annotation()), 400, "csrf-failed")
    auth.logout()

    def rebuilding(*args, **kwargs):
        raise IndexUnavailable("missing")

    monkeypatch.setattr(app.extensions["search"], "query", rebuilding)
    busy = client.get("/api/v1/search?q=Ushtobe")
    problem(busy, 503, "index-rebuilding")
    assert int(busy.headers["Retry-After"]) > 0
    # pages keep their HTML error pages
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html" and "<h1>Not found</h1>" in page.get_data(True)


def test_a_problem_type_leads_to_what_it_means(client):
    kinds = client.get("/api/v1/problems").get_json()["kinds"]
    assert {kind["code"] for kind in kinds} == set(problems.KINDS)
    for kind in kinds:
        assert (kind["title"], kind["status"]) == (
            problems.KINDS[kind["code"]].title,
            problems.KINDS[kind["code"]].status,
        )
        assert kind["about"]


def test_a_problem_takes_its_code_and_field_from_the_error_never_its_words(app):
    with app.test_request_context("/api/v1/anything"):
        refused = annotations.AnnotationError("The field 'note' is too long; code not-found.", "note")
        assert problems.document(422, str(refused), refused.code, refused.field) == {
            "type": "http://localhost/api/v1/problems#annotation-invalid",
            "title": "Annotation refused",
            "status": 422,
            "detail": "The field 'note' is too long; code not-found.",
            "code": "annotation-invalid",
            "field": "note",
        }
        gone = problems.from_error(annotations.NotFound("There is no annotation 'x' in this interview."))
        assert gone.status_code == 404 and gone.get_json()["code"] == "not-found" and "field" not in gone.get_json()
        stale = problems.from_error(annotations.AnnotationConflict("changed"), author="anna", time="2026-01-01T00:00Z")
        assert stale.status_code == 412 and stale.get_json()["author"] == "anna"
        http = problems.from_error(NotFound("gone"), 404)  # its `code` is the number 404: a plain HTTP problem
        assert http.get_json()["code"] == "not-found" and http.get_json()["type"] == "about:blank"


def test_an_annotation_changes_only_at_the_version_its_if_match_names(client, tokens):
    made = client.post(f"/api/v1/interviews/{INTERVIEW}/annotations", json=annotation(), **bearer(tokens["anna"]))
    assert made.status_code == 201
    url, first = made.headers["Location"], made.headers["ETag"]
    read = client.get(url, **bearer(tokens["anna"]))
    assert read.headers["ETag"] == first and read.headers["Cache-Control"] == "no-store"  # kept for the writer
    assert first == f'"{annotations.version({k: v for k, v in read.get_json().items() if k != "@context"})}"'
    assert client.get(url).headers["ETag"] == first  # anonymous readers see the same annotation, so the same tag

    changed = {**read.get_json(), "body": [{"type": "TextualBody", "value": "Cattle wagons.", "purpose": "commenting"}]}
    problem(client.put(url, json=changed, **bearer(tokens["boris"])), 428, "precondition-required")
    problem(client.delete(url, **bearer(tokens["boris"])), 428, "precondition-required")
    assert client.get(url).headers["ETag"] == first  # nothing changed

    by_boris = client.put(url, json=changed, **bearer(tokens["boris"], **{"If-Match": first}))
    assert by_boris.status_code == 200 and annotations.note(by_boris.get_json()) == "Cattle wagons."
    second = by_boris.headers["ETag"]
    assert second != first and client.get(url).headers["ETag"] == second

    late = problem(
        client.put(url, json=changed, **bearer(tokens["anna"], **{"If-Match": first})), 412, "version-conflict"
    )
    assert late["author"] == "boris" and late["time"] and "boris" in late["detail"]
    for odd in ('""', f"W/{second}", "not-a-tag", '"a", "b"'):  # an empty tag (found by schemathesis: 500), a weak one
        problem(client.put(url, json=changed, **bearer(tokens["anna"], **{"If-Match": odd})), 412, "version-conflict")
    either = client.put(url, json=changed, **bearer(tokens["anna"], **{"If-Match": f'"old", {second}'}))
    assert either.status_code == 200  # any of the tags named may be the current one
    second = either.headers["ETag"]
    # the precondition is judged first: a stale tag with a body that would be refused is still a 412
    stale_and_bad = client.put(
        url, data="{", content_type="application/json", **bearer(tokens["anna"], **{"If-Match": first})
    )
    problem(stale_and_bad, 412, "version-conflict")
    moved = {**changed, "target": annotation("How long were you on the way?")["target"]}
    elsewhere = client.put(url, json=moved, **bearer(tokens["anna"], **{"If-Match": second}))
    problem(elsewhere, 422, "annotation-invalid", "target")

    problem(client.delete(url, **bearer(tokens["anna"], **{"If-Match": first})), 412, "version-conflict")
    gone = client.delete(url, **bearer(tokens["anna"], **{"If-Match": second}))
    assert gone.status_code == 204 and not gone.get_data() and "Content-Type" not in gone.headers
    problem(client.get(url), 404, "not-found")
    problem(client.delete(url, **bearer(tokens["anna"], **{"If-Match": "*"})), 404, "not-found")


def test_if_match_star_changes_whatever_is_there(client, tokens):
    made = client.post(f"/api/v1/interviews/{INTERVIEW}/annotations", json=annotation(), **bearer(tokens["anna"]))
    url = made.headers["Location"]
    changed = {**made.get_json(), "body": [{"type": "TextualBody", "value": "Any.", "purpose": "commenting"}]}
    assert client.put(url, json=changed, **bearer(tokens["anna"], **{"If-Match": "*"})).status_code == 200
    assert client.delete(url, **bearer(tokens["anna"], **{"If-Match": "*"})).status_code == 204


def test_a_reimport_may_name_the_version_of_the_collection(client, tokens):
    url = f"/api/v1/interviews/{INTERVIEW}/annotations"
    exported = client.get(url, **bearer(tokens["anna"]))
    tag = exported.headers["ETag"]
    assert client.post(url, json=annotation(), **bearer(tokens["boris"])).status_code == 201
    late = client.put(url, json=exported.get_json(), **bearer(tokens["anna"], **{"If-Match": tag}))
    assert problem(late, 412, "version-conflict")["author"] == "boris"
    assert client.get(url).get_json()["total"] == 1  # nothing imported
    # no If-Match: taken as before (clients from before it keep working)
    assert client.put(url, json=exported.get_json(), **bearer(tokens["anna"])).get_json() == {"added": 0, "replaced": 0}
    now = client.get(url, **bearer(tokens["anna"]))
    answer = client.put(url, json=now.get_json(), **bearer(tokens["anna"], **{"If-Match": now.headers["ETag"]}))
    assert answer.get_json() == {"added": 0, "replaced": 1}


def links_of(header: str) -> dict[str, str]:
    return {rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_lists_link_their_pages_keeping_the_other_arguments(app, client, sample_collection):
    with app.test_request_context(
        "/api/v1/search?q=Kim&event=a&event=b&page=2&sort=date", base_url="https://x.example"
    ):
        links = links_of(link_header(2, 5))
    base = "https://x.example/api/v1/search?q=Kim&event=a&event=b&sort=date&page="
    assert links == {"first": base + "1", "prev": base + "1", "next": base + "3", "last": base + "5"}
    with app.test_request_context("/api/v1/media"):
        only = "<http://localhost/api/v1/media?page=1>"
        assert link_header(1, 1) == f'{only}; rel="first", {only}; rel="last"'
    for url in ("/api/v1/search?q=Ushtobe&sort=date&village=ushtobe&page=9", "/api/v1/media?kind=photograph"):
        answer = client.get(url)
        paging = answer.get_json()
        assert {"page", "pages", "total"} <= set(paging) and paging["page"] == 1  # past the end: the last page
        links = links_of(answer.headers["Link"])
        assert set(links) == {"first", "last"}
        for target in links.values():
            assert target.startswith("http://localhost/api/v1/") and target.endswith("page=1")
            assert all(part in target for part in url.split("?")[1].split("&") if not part.startswith("page="))


def test_the_openapi_document_is_public_generated_and_complete(app, client, tokens):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-cache"
    document = answer.get_json()
    assert document["openapi"] == "3.1.0"
    # the same for every reader, and naming nothing in the collection nor anyone
    assert client.get("/api/v1/openapi.json", **bearer(tokens["anna"])).get_json() == document
    text = json.dumps(document)
    for secret in (INTERVIEW, "0ayd1wnd", "2kfh28sh", "anna", "boris", tokens["anna"], "Pavel"):
        assert secret not in text
    # valid OpenAPI 3.1 (the meta-schema schemathesis ships)
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)] == []
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    # every route under /api/v1/ is the API's (so documented), every method, with its errors as problem documents
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            assert rule.endpoint.startswith("api."), rule.rule
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            assert operation["summary"] and operation["operationId"]
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
            assert "401" in operation["responses"]
    edit = document["paths"]["/api/v1/annotations/{annotation_id}"]["put"]
    assert {"412", "428", "422"} <= set(edit["responses"]) and {"$ref": "#/components/parameters/IfMatch"} in edit[
        "parameters"
    ]
    assert edit["security"] == [{"bearerAuth": []}]
    assert "ETag" in document["paths"]["/api/v1/annotations/{annotation_id}"]["get"]["responses"]["200"]["headers"]
    listings = ("/api/v1/search", "/api/v1/media", "/api/v1/interviews", "/api/v1/{kind}", "/api/v1/submissions")
    for listing in (*listings, "/api/v1/requests", "/api/v1/interviews/{interview_id}/segments"):
        assert "Link" in document["paths"][listing]["get"]["responses"]["200"]["headers"]
    problem_schema = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem_schema["required"])
    assert {"field", "author", "time"} <= set(problem_schema["properties"])


def test_answers_keep_what_a_record_holds_exactly(client, tokens):
    """The answers are shaped through schemas, which must never rewrite what is stored: an imported annotation with
    a list of motivations and a member nobody here names comes back as it went in."""
    url = f"/api/v1/interviews/{INTERVIEW}/annotations"
    made = client.post(url, json=annotation(), **bearer(tokens["anna"])).get_json()
    exported = client.get(url, **bearer(tokens["anna"])).get_json()
    kept = {**exported["first"]["items"][0], "motivation": ["tagging", "commenting"], "rights": {"note": "ours"}}
    exported["first"]["items"] = [kept]
    assert client.put(url, json=exported, **bearer(tokens["anna"])).get_json() == {"added": 0, "replaced": 1}
    assert client.get(url, **bearer(tokens["anna"])).get_json() == exported
    one = client.get(f"/api/v1/annotations/{annotations.short_id(made)}", **bearer(tokens["anna"])).get_json()
    assert one == {"@context": "http://www.w3.org/ns/anno.jsonld", **kept}
