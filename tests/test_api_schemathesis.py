"""The API against its own OpenAPI document, with schemathesis: for every operation, generated requests (ids, query
arguments, If-Match, bodies) must get no server error and no answer the document does not describe (its status,
Content-Type, headers and body schema), as an anonymous reader and as a staff script with a Bearer token; and the
app must log no error meanwhile (a failed index update is logged, not answered).

The document is loaded from the app itself (WSGI, no server). The app holds the sample collection, a staff account
and an annotation. Each operation is tried with generated ids (nearly always unknown: 404) and again with each
combination of ids that exist (a public and a researchers-only interview and item, the annotation, made again when
a DELETE removed it, a family's submission, and an entry of each vocabulary). The default run tries FAST examples of
each; the slow one (`-m slow`) SLOW.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from archive import accounts, annotations, contributions, create_app

REPOSITORY = Path(__file__).resolve().parents[1]
INTERVIEW, RESEARCHERS_ONLY = "1s12p03r", "0ayd1wnd"  # a public interview, and one for signed-in readers
ITEMS = ("2kfh28sh", "452pad32")  # a public photograph, and an object for signed-in readers
# What the document promises, checked on every answer. The checks left out judge the API by what a schema can say
# of a request (that a schema-valid annotation is accepted, say), which the rules of annotations.py go beyond.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FAST, SLOW = 3, 15  # examples per operation, per set of ids and per reader


class World:
    """The app under test, its staff token, and the ids that exist."""

    def __init__(self, root: Path):
        self.app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
        for kind in ("interviews", "media"):
            shutil.copytree(REPOSITORY / kind, root / kind)
        self.app.extensions["search"].check(repair=True)
        with self.app.app_context():
            accounts.add_user("hist", "historian", "a long enough password")
            self.token = accounts.new_token("hist")
        self.submission = contributions.submit(
            self.app.extensions["collection"],
            {
                "name": "A family",
                "relation": "son",
                "narrator": "Someone",
                "story_text": "A story.",
                "visibility": "family",
            },
            None,
            [],
            self.app.extensions["image_limits"],
            "en",
        ).submission_id
        self.annotation = ""

    def known(self) -> dict[str, list[str]]:
        """The ids that exist, the annotation made again if a DELETE has removed it."""
        collection = self.app.extensions["collection"]
        if not any(annotations.short_id(a) == self.annotation for a in annotations.items(collection, INTERVIEW)):
            body = annotations.bodies(collection, {"events": ["arrival-ushtobe-1937"]}, ["wagons"], "")
            self.annotation = annotations.short_id(annotations.create(collection, INTERVIEW, 0, 20, body, "hist"))
            self.app.extensions["search"].update([INTERVIEW])
        return {
            "interview_id": [INTERVIEW, RESEARCHERS_ONLY],
            "item_id": list(ITEMS),
            "annotation_id": [self.annotation],
            "submission_id": [self.submission],
            # one entry of each vocabulary (every kind is tried with each: the others' ids are unknown there, 404)
            "kind": ["events", "places", "people"],
            "entry_id": ["arrival-ushtobe-1937", "ushtobe", "joseph-stalin"],
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("api"))


class Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _strategies(operation, known: dict):
    """Requests with generated ids, and with each combination of ids that exist; valid by the document, and not
    (a wrong type, a missing member: what the app must refuse with a documented problem, never a server error)."""
    names = re.findall(r"{(\w+)}", operation.path)
    chosen = [{}]
    if names and all(name in known for name in names):
        chosen += [dict(zip(names, values, strict=True)) for values in itertools.product(*(known[n] for n in names))]
    negatable = bool(len(operation.query) or len(operation.headers) or len(operation.body))
    for ids in chosen:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negatable else (GenerationMode.POSITIVE,):
            yield f"{mode.value}, ids {ids or 'generated'}", operation.as_strategy(mode, path_parameters=ids or None)


def _run(world: World, reader: str, examples: int) -> None:
    """Try `examples` generated requests of each kind on every operation of the document; fail naming each
    operation that broke it, with hypothesis's smallest example."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    headers = {"Authorization": f"Bearer {world.token}"} if reader == "staff" else {}
    failures, logged = [], Logged()
    world.app.logger.addHandler(logged)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for label, strategy in _strategies(operation, world.known()):

                @given(case=strategy)
                @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
                def keeps_to_it(case):
                    # Hypothesis seeds `random` alike for every example; Whoosh names its index segments with it, so
                    # they would collide as they never do in production
                    random.seed()
                    if reader == "anonymous" and case.headers:
                        case.headers.pop("Authorization", None)  # a generated token is only a bad one (401)
                    seen = len(logged.records)
                    case.call_and_validate(app=world.app, headers=headers, checks=CHECKS)
                    assert len(logged.records) == seen, logged.records[seen].getMessage()

                try:
                    keeps_to_it()
                except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - gathered: one run names every failure
                    failures.append(f"{operation.method.upper()} {operation.path} ({label}): {error}")
    finally:
        world.app.logger.removeHandler(logged)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_every_operation_keeps_to_the_document(world, reader):
    _run(world, reader, FAST)


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_every_operation_keeps_to_the_document_at_length(world, reader):
    _run(world, reader, SLOW)
