"""What every blueprint loads a request's records with: the app's services, and records the reader may see or a
404 (so that nothing leaks: a record one may not read is simply not there); and uploads kept on disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import abort, current_app, g
from werkzeug.exceptions import Forbidden

from .. import access, interviews, media
from ..collection import Collection
from ..errors import CollectionError
from ..i18n import N_, translate
from ..search import IndexUnavailable, SearchIndex
from ..services import Services


@contextmanager
def kept_uploads(files: Iterable) -> Iterator[list[tuple[Path, str]]]:
    """Uploaded files (werkzeug FileStorage) saved in a scratch folder of the instance, in the order given, as
    (path, name) while the block runs: recordings can be large, so a service reads them from disk, never memory."""
    with tempfile.TemporaryDirectory(dir=Path(current_app.instance_path)) as scratch:
        kept = []
        for number, upload in enumerate(files, 1):
            path = Path(scratch) / f"upload-{number}"
            upload.save(path)
            kept.append((path, upload.filename or f"recording-{number}"))
        yield kept


def services() -> Services:
    return current_app.extensions["services"]


def collection() -> Collection:
    return current_app.extensions["services"].collection


def search_index() -> SearchIndex:
    """The index, for reading: searches, facets, links. Writes go through the services."""
    return current_app.extensions["search"]


class Gone(Exception):
    """A deleted record that this reader could read were it not deleted: answered 410 Gone with its notice (the
    handler is in views/tombstones.py); anyone else is answered 404, as for a record that never was."""

    def __init__(self, kind: str, record_id: str, record: dict):
        super().__init__(f"{kind}/{record_id} was deleted")
        self.kind, self.id, self.record = kind, record_id, record


class Restricted(Forbidden):
    """A record kept for staff, opened by a signed-in researcher who may ask for access to it (access.may_ask):
    answered 403 with the page to ask (views/access_requests.py), where anyone else gets the plain 404."""

    def __init__(self, kind: str, record_id: str):
        super().__init__()
        self.kind, self.record_id = kind, record_id


def get_interview_or_404(interview_id: str) -> interviews.Interview:
    """Load an interview the viewer may read; anything else is simply not found, so nothing leaks."""
    try:
        interview = interviews.load(collection(), interview_id)
    except CollectionError:
        abort(404, N_("There is no interview here."))
    if access.gone(g.reader, interview.record, f"interviews/{interview_id}"):
        raise Gone("interviews", interview_id, interview.record)
    if not access.can_read(g.reader, interview.record, f"interviews/{interview_id}"):
        if access.may_ask(g.reader, interview.record):
            raise Restricted("interviews", interview_id)  # 403: the page to ask for access (views/access_requests.py)
        abort(404, N_("There is no interview here."))
    return interview


def get_item_or_404(item_id: str) -> media.Item:
    """Load an item the viewer may read; anything else is simply not found, so nothing leaks."""
    try:
        item = media.load(collection(), item_id)
    except CollectionError:
        abort(404, N_("There is no item here."))
    if access.gone(g.reader, item.record, item.ref):
        raise Gone("media", item_id, item.record)
    if not access.can_read(g.reader, item.record, item.ref):
        if access.may_ask(g.reader, item.record):
            raise Restricted("media", item_id)  # 403: the page to ask for access (views/access_requests.py)
        abort(404, N_("There is no item here."))
    return item


def facet_counts(facet: str) -> dict[str, int]:
    """How many records this reader may see carry each value of a facet ("village", "event", "decade", ...); none
    while the index is being rebuilt (the page goes on without them, and says why)."""
    try:
        return {value: n for value, _label, n in search_index().browse(facet, g.reader)}
    except IndexUnavailable:
        g.index_rebuilding = True
        return {}


def items_linking(ref: str, limit: int = 60) -> list[media.Item]:
    """The items this viewer may read that link `ref` ("interviews/<id>", "events/<id>", ...), for the pages of
    interviews and entries: the index finds them, access is asked again of each record."""
    found = []
    try:
        linked = search_index().linked_to(ref, g.reader, limit=limit, scope="media")
    except IndexUnavailable:
        g.index_rebuilding = True  # the page goes on without them, and says why
        return []
    for doc_id in linked:
        try:
            item = media.load(collection(), doc_id.split("/", 1)[1])
        except CollectionError:
            continue
        if access.can_read(g.reader, item.record, item.ref):
            found.append(item)
    return found


DEFAULT_SITE_NAME = N_("Oral history archive")  # config.ARCHIVE_SITE_NAME as shipped


def site_name() -> str:
    """The archive's name for pages: the shipped name in the reader's language, a name an archive chose as given."""
    name = current_app.config["ARCHIVE_SITE_NAME"]
    return translate(name) if name == DEFAULT_SITE_NAME else name
