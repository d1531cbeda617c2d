"""RFC 9457 problem documents: the one shape in which the API (everything under /api/) reports an error.

A problem has `type`, `title`, `status` and `detail`, and two extension members that scripts can rely on: `code`, a
stable machine code, and `field`, the request member the problem concerns (absent when none). Kinds that mean more
than their HTTP status have their own `type`, a URL on this site that describes them (`/api/v1/problems#<code>`);
plain HTTP errors have `about:blank` and the status's own title, as RFC 9457 asks. The code and the field are read
from the error's attributes, never from its message, which is for people and may change.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from ..i18n import localise
from .schemas import ProblemSchema

MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    """A kind of problem with its own type URI: its status, its title, and what it means for a script."""

    status: int
    title: str
    about: str


KINDS = {
    "annotation-invalid": Kind(
        422,
        "Annotation refused",
        "The annotation or collection does not fit the W3C model, the transcript or the archive's vocabularies; "
        "`field` names the member at fault when one is. Nothing was stored.",
    ),
    "recording-unusable": Kind(
        422,
        "Recording refused",
        "A file sent as a recording is not sound or video the archive takes (MP3, M4A, Ogg, WAV, FLAC, MP4, WebM), "
        "or it is cut short or damaged; `detail` names the file. Nothing was stored.",
    ),
    "segment-index-invalid": Kind(
        422,
        "Segment index refused",
        "A point of the segment index is missing its start or title, repeats another's start, lies beyond the "
        "recording, names a place the gazetteer does not know, or has a GPS point out of range or a link that is "
        "not http(s); `field` names the point (counted from 0) and its member. Nothing was stored.",
    ),
    "metadata-invalid": Kind(
        422,
        "Description refused",
        "A field of the description is not what the archive takes (a date that is not EDTF, a place the gazetteer "
        "does not know, a language that is not a BCP 47 tag, an unknown access level, a missing title...); `field` "
        "names the first, `errors` every one with what is wrong. Nothing was stored.",
    ),
    "transcript-unusable": Kind(
        422,
        "Transcript refused",
        "No transcript was sent (the multipart field `transcript`), or the file is not one the archive reads (plain "
        "text with speaker turns, WebVTT, SRT, OHMS XML, Word .docx, OpenDocument .odt, PDF with a text layer), or it "
        "is empty, damaged or too large; `detail` "
        "says which. Nothing was stored.",
    ),
    "already-ingested": Kind(
        409,
        "Already in the archive",
        "A transcript with exactly the same content is already an interview, which `interview` names. Nothing was "
        "stored; change that interview instead.",
    ),
    "version-conflict": Kind(
        412,
        "Changed since you read it",
        "If-Match names a version that is no longer the current one: `author` and `time` say who changed it and "
        "when (absent where the change was not recorded). Nothing was changed: GET it again and make your change on "
        "what it is now.",
    ),
    "precondition-required": Kind(
        428,
        "If-Match required",
        "This write replaces or removes something that someone else may have changed: send If-Match with the ETag "
        "of the version you read.",
    ),
    "body-unreadable": Kind(
        400,
        "Unreadable body",
        "The body is not JSON, was not sent as JSON (Content-Type application/json or application/ld+json), or is "
        "nested too deeply.",
    ),
    "csrf-failed": Kind(
        400,
        "Missing or expired CSRF token",
        "A browser signed in with a session writes only with the page's CSRF token in X-CSRFToken; scripts send "
        "`Authorization: Bearer <token>` instead.",
    ),
    "index-rebuilding": Kind(
        503,
        "Search is being rebuilt",
        "The search index is being rebuilt, which takes a minute or two; try again after Retry-After seconds.",
    ),
    "disk-full": Kind(
        507,
        "The archive's disk is full",
        "Nothing was changed. Tell the archive's staff, and try again later.",
    ),
}

# Plain HTTP errors: about:blank, titled with the status's phrase (RFC 9110), and a code that does not change with
# the Python version (whose phrases do: 413 was "Request Entity Too Large" before 3.13).
PLAIN = {
    400: ("bad-request", "Bad Request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not Found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    406: ("not-acceptable", "Not Acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition Failed"),
    413: ("content-too-large", "Content Too Large"),
    415: ("unsupported-media-type", "Unsupported Media Type"),
    422: ("unprocessable-content", "Unprocessable Content"),
    428: ("precondition-required", "Precondition Required"),
    429: ("too-many-requests", "Too Many Requests"),
    500: ("internal-server-error", "Internal Server Error"),
    503: ("service-unavailable", "Service Unavailable"),
    507: ("insufficient-storage", "Insufficient Storage"),
}
_PLAIN_STATUS = {code: status for status, (code, _) in PLAIN.items()}


class Problem(Exception):
    """Raised by an API view to answer with a problem document (the app's error handler turns it into one)."""

    def __init__(self, detail: str, code: str, field: str | None = None, status: int | None = None, **extensions):
        super().__init__(detail)
        self.detail, self.code, self.field = detail, code, field
        self.status = status or KINDS[code].status
        self.extensions = extensions


def is_api() -> bool:
    """Tell whether the request is the API's, which is answered with problem documents rather than pages."""
    return request.path.startswith("/api/")


def type_uri(code: str) -> str:
    """The type URI of a kind: the list of kinds on this site, at the kind's entry (/api/v1/problems#<code>)."""
    return url_for("api.problem_types", _external=True, _anchor=code)


def document(status: int, detail: str, code: str | None = None, field: str | None = None, **extensions) -> dict:
    """Build the problem document (a dict, shaped by the same schema the OpenAPI document shows)."""
    kind = KINDS.get(code or "")
    if kind is not None:
        problem_type, title = type_uri(code), kind.title
    else:
        problem_type = "about:blank"
        plain_code, title = PLAIN.get(status, (f"http-{status}", "Error"))
        code = code or plain_code
    shown = {"type": problem_type, "title": title, "status": status, "detail": detail, "code": code}
    if field:
        shown["field"] = field
    shown.update({k: v for k, v in extensions.items() if v is not None})
    return ProblemSchema().dump(shown)


def response(status: int, detail: str, code: str | None = None, field: str | None = None, headers=None, **extensions):
    """Answer with a problem document: its status, Content-Type application/problem+json, and any headers given."""
    answer = current_app.json.response(document(status, detail, code, field, **extensions))
    answer.status_code = status
    answer.mimetype = MEDIA_TYPE
    if status == 401:  # RFC 9110: a 401 names the scheme that would do
        answer.headers["WWW-Authenticate"] = 'Bearer realm="archive"'
    answer.headers.update(headers or {})
    return answer


def from_error(error: BaseException, status: int | None = None, detail: str | None = None, **extensions):
    """Answer an error that carries its own `code` (and perhaps `field`): the status is its kind's unless given."""
    code = getattr(error, "code", None)
    code = code if isinstance(code, str) else None  # an HTTPException's `code` is its status number
    field = getattr(error, "field", None)
    field = field if isinstance(field, str) else None
    if status is None:
        status = KINDS[code].status if code in KINDS else _PLAIN_STATUS.get(code, 400)
    if detail is None:  # what the error says, in the language the request asked for (Accept-Language)
        said = localise(error)
        detail = said[:1].upper() + said[1:]
    return response(status, detail, code, field, **extensions)
