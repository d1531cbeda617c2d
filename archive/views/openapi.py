"""The OpenAPI 3.1 document of the JSON API (served at /api/v1/openapi.json), generated, never written by hand.

Each API view says what it takes and gives with `@documented(...)`, naming the schemas (schemas.py) that its
`arguments()` reads the query through and its `answer()` shapes the body with (and the status and media type that
`answer()` sends), so what is documented is what runs. Paths and path parameters come from the view's URL rule,
summaries from its docstring, and the errors every view can meet (a bad Bearer token, an unknown id, a refused
write) are added here by rule, each answered as a problem document (problems.py). apispec and its marshmallow
plugin turn it all into the document, which describes the API alone, the same for every reader: it names no
record, no account and nothing restricted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, request
from marshmallow import Schema

from . import problems
from .schemas import ProblemSchema

VERSION = "1.0.0"
JSON_LD = "application/ld+json"
BODY_TYPES = (JSON_LD, "application/json")
_RULE_ARGUMENT_RE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Operation:
    """What one API view takes and gives, beyond what its URL rule and docstring say."""

    answer: type[Schema] | None  # the 2xx body's schema (None: no body)
    status: int = 200
    media_type: str = "application/json"
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    upload: str | None = None  # a multipart/form-data body: the name of its field of one or more files
    form: dict | None = None  # a multipart/form-data body of files and text fields: its JSON Schema (instead)
    writes: bool = False  # staff only, with a Bearer token or a session and its CSRF token
    if_match: str | None = None  # "required" or "optional"
    etag: bool = False  # the answer carries the ETag of what it shows
    paged: bool = False  # the answer carries Link (first, prev, next, last)
    searches: bool = False  # goes through the search index, which may be being rebuilt (503)
    headers: tuple[str, ...] = ()  # more headers of the 2xx answer, among HEADERS
    errors: dict = field(default_factory=dict)  # more problem answers: status -> description


def documented(answer: type[Schema] | None, **details):
    """Describe an API view for the OpenAPI document (see Operation for what can be said). The view then reads its
    query with `arguments()` and answers with `answer()`, which use the schemas named here: what is documented is
    what runs."""

    def mark(view):
        view.openapi = Operation(answer, **details)
        return view

    return mark


def _current() -> Operation:
    return current_app.view_functions[request.endpoint].openapi


def arguments() -> dict:
    """The query arguments of this request, read through the view's documented query schema."""
    return _current().query().read(request.args)


def answer(document: dict | None = None, content_type: str | None = None, **headers) -> Response:
    """The view's answer: `document` shaped by its documented schema, with its documented status and media type
    (`content_type` may add parameters to that type, such as a JSON-LD profile), and these headers."""
    operation = _current()
    if operation.answer is None:
        response = current_app.response_class(status=operation.status)
        del response.headers["Content-Type"]  # no content, so no type
    else:
        response = current_app.json.response(operation.answer().dump(document))
        response.status_code = operation.status
        response.headers["Content-Type"] = content_type or operation.media_type
    response.headers.update(headers)
    return response


def document(app: Flask) -> dict:
    """The OpenAPI document of the app's API, built once per app (it depends on the code alone)."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = _build(app)
    return app.extensions["openapi"]


def _build(app: Flask) -> dict:
    spec = APISpec(
        title=f"{app.config['ARCHIVE_SITE_NAME']} API",
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "The archive's interviews, annotations, items and vocabularies for scripts, under the "
            "same access rules as its pages. Errors are RFC 9457 problem documents (application/problem+json) with "
            "a stable `code` and, where one is at fault, the request `field`. What a write replaces carries an "
            "ETag; name it in If-Match (412 if stale, 428 where it is required). Lists are paged with RFC 8288 "
            "Link headers (first, prev, next, last) beside their JSON paging fields."
        },
    )
    spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `archive user token NAME`. Reading without one sees what the public sees; "
            "writing needs a staff account's. A browser signed in with a session may write instead by sending the "
            "page's CSRF token in X-CSRFToken.",
        },
    )
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    spec.components.schema("Problem", schema=ProblemSchema)
    for name, description in HEADERS.items():
        spec.components.header(name, {"description": description, "schema": {"type": "string"}})
    spec.components.parameter(
        "IfMatch",
        "header",
        {
            "name": "If-Match",
            "description": "The ETag of the version you read (strong comparison); * for whatever is there now.",
            "schema": {"type": "string"},
        },
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        operation = getattr(view, "openapi", None)
        if operation is None:
            raise LookupError(f"the API view {rule.endpoint} is not @documented")
        path, parameters = _path(rule.rule)
        operations = {
            method.lower(): _operation(view, operation, path, parameters)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        }
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# The groups of operations (OpenAPI tags), in the order the reference page (/api/) shows them.
TAGS = {
    "interviews": "Interviews: the list, one description, a new one by upload, the transcript, recordings and the "
    "segment index.",
    "annotations": "W3C Web Annotations of the transcripts' passages.",
    "media": "Photographs, documents and objects.",
    "search": "Search across interviews and items.",
    "vocabularies": "The events, places and people annotations and records link to.",
    "history": "A record's earlier versions (staff).",
    "staff": "Families' submissions and researchers' access requests (staff).",
    "about": "This API's own description and its kinds of problem.",
}


def tag_of(path: str) -> str:
    """The group of an operation, from its path."""
    parts = path.removeprefix("/api/v1/").split("/")
    if parts[-1] == "history":
        return "history"
    if "annotations" in parts:
        return "annotations"
    first = parts[0]
    if first in ("submissions", "requests"):
        return "staff"
    if first in ("openapi.json", "problems"):
        return "about"
    if first == "{kind}":
        return "vocabularies"
    return first if first in TAGS else "about"


HEADERS = {
    "ETag": "The version of what this answer shows (strong): name it in If-Match to change or remove it.",
    "Link": "RFC 8288 links to the first, prev, next and last pages, absolute, with the other query arguments kept.",
    "Location": "Where what was made is: the new annotation or interview, or the first new recording.",
    "Retry-After": "Seconds to wait before trying again.",
}


def _path(rule: str) -> tuple[str, list[dict]]:
    """An OpenAPI path and its parameters from a Flask URL rule (`<any(a, b):kind>` becomes an enum)."""
    parameters = []
    for match in _RULE_ARGUMENT_RE.finditer(rule):
        schema: dict = {"type": "string", "minLength": 1}
        if match["converter"] == "any":
            schema = {"type": "string", "enum": [a.strip().strip("'\"") for a in match["args"].split(",")]}
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return _RULE_ARGUMENT_RE.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _problem(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {problems.MEDIA_TYPE: {"schema": ProblemSchema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _operation(view, operation: Operation, path: str, path_parameters: list[dict]) -> dict:
    summary, _, description = (view.__doc__ or view.__name__).strip().partition("\n")
    described = {
        "operationId": view.__name__,
        "summary": summary.strip(),
        "tags": [tag_of(path)],
        "parameters": list(path_parameters),
        "responses": {},
    }
    if description.strip():
        described["description"] = " ".join(description.split())
    if operation.query is not None:
        described["parameters"].append({"in": "query", "schema": operation.query})
    if operation.if_match:
        described["parameters"].append("IfMatch")
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {media_type: {"schema": operation.body} for media_type in BODY_TYPES},
        }
    if operation.form is not None:
        described["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": operation.form}}}
    if operation.upload is not None:
        described["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            operation.upload: {
                                "type": "array",
                                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                                "minItems": 1,
                            }
                        },
                        "required": [operation.upload],
                    }
                }
            },
        }
    described["security"] = [{"bearerAuth": []}] if operation.writes else [{}, {"bearerAuth": []}]

    ok: dict = {"description": "Done." if operation.answer is None else "What was asked for."}
    if operation.answer is not None:
        ok["content"] = {operation.media_type: {"schema": operation.answer}}
    headers = {name: name for name in operation.headers}
    if operation.etag:
        headers["ETag"] = "ETag"
    if operation.paged:
        headers["Link"] = "Link"
    if headers:
        ok["headers"] = headers
    responses = {operation.status: ok}

    responses[401] = _problem("The Bearer token is not valid (or, for a write, none was sent).")
    if path_parameters:
        responses[404] = _problem("There is no such thing here, or you may not read it.")
    if operation.searches:
        responses[503] = _problem("Search is being rebuilt (index-rebuilding).", {"Retry-After": "Retry-After"})
    if operation.writes:
        responses[400] = _problem("The body is unreadable (body-unreadable), or a session sent no CSRF token.")
        responses[403] = _problem("Your account may not change the collection.")
        responses[413] = _problem("The body is larger than the archive takes.")
        responses[507] = _problem("The archive's disk is full; nothing was changed (disk-full).")
    if operation.body is not None:
        responses[422] = _problem("The archive refused what was sent (annotation-invalid); `field` says where.")
    if operation.upload is not None:
        responses[422] = _problem("A file is not a recording the archive takes, or is damaged (recording-unusable).")
    if operation.if_match:
        responses[412] = _problem("If-Match names a version that is no longer current (version-conflict).")
    if operation.if_match == "required":
        responses[428] = _problem("Send If-Match with the ETag you read (precondition-required).")
    for status, description in operation.errors.items():
        responses[status] = _problem(description)
    described["responses"] = {str(status): responses[status] for status in sorted(responses)}
    return described
