"""Blueprints, and what every request needs: who is asking, and errors shown to people (or, under /api/, as RFC 9457
problem documents to scripts: see problems.py)."""

import sqlite3
from urllib.parse import urlencode

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import access, dates, i18n, redaction
from ..access import AccessDenied
from ..errors import DiskFullError, is_disk_full
from ..i18n import N_
from ..search import IndexUnavailable
from . import (
    access_requests,
    alignment,
    annotate,
    api,
    api_records,  # noqa: F401 - adds its routes to api.bp
    api_reference,
    auth,
    contribute,
    entries,
    headers,
    history,
    iiif,
    interviews,
    jobs,
    maps,
    media,
    moderate,
    oai,
    problems,
    public,
    records,
    search,
    segment_index,
    tombstones,
    vocab,
)
from . import media as media_views
from .forms.auth import SignOutForm
from .forms.base import ACCESS_CHOICES
from .loaders import site_name
from .requests import ArchiveRequest, BoundedJSONProvider


def init_app(app: Flask) -> None:
    app.request_class = ArchiveRequest
    app.json = BoundedJSONProvider(app)
    headers.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(interviews.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_reference.bp)
    app.extensions["csrf"].exempt(api.bp)  # the API checks CSRF itself, for session-signed browsers only
    app.register_blueprint(vocab.bp)
    app.register_blueprint(annotate.bp)
    app.register_blueprint(segment_index.bp)
    app.register_blueprint(alignment.bp)
    app.register_blueprint(entries.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(contribute.bp)
    app.register_blueprint(moderate.bp)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(oai.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(tombstones.bp)
    app.register_blueprint(access_requests.bp)
    app.register_blueprint(iiif.bp)
    app.extensions["csrf"].exempt(oai.bp)  # OAI-PMH harvesters may POST; it only ever reads
    app.add_template_filter(timecode)
    app.add_template_filter(seconds)
    app.add_template_filter(dates.say, "edtf_words")
    app.add_template_filter(lambda text: redaction.notices(text, i18n.translate(redaction.NOTICE)), "withheld")
    # a global, so that macros imported without context (the form macro) translate too

    @app.before_request
    def choose_language():
        g.lang = i18n.choose(request)

    @app.after_request
    def remember_language(response):
        wanted = request.args.get("lang")
        if wanted in i18n.languages() and request.cookies.get(i18n.COOKIE) != wanted:
            i18n.remember(response, wanted, bool(app.config["ARCHIVE_HTTPS"]))
        # a page's words follow the reader's language, as do a transcript's export (its notices of withheld passages)
        # and the API's problem documents (their detail)
        if response.mimetype in ("text/html", "text/plain", "application/problem+json"):
            response.vary.update(("Cookie", "Accept-Language"))
        return response

    app.add_template_global(language_url)
    app.add_template_global(signin_url)

    @app.context_processor
    def page_globals():
        return {
            "viewer": g.get("viewer"),
            "site_name": site_name(),
            "signout_form": SignOutForm() if g.get("viewer") else None,
            "lang": g.get("lang", i18n.DEFAULT),
            "language_names": i18n.NAMES,
            "languages": i18n.languages(),
            "index_rebuilding": g.get("index_rebuilding", False),
            # what the page offers is asked of access.py, never decided in a template from a role
            "can_edit": access.can_edit(g.get("viewer")),
            "kind_names": media_views.KIND_NAMES,
            "access_names": ACCESS_NAMES,
            "role_names": ROLE_NAMES,
        }

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if problems.is_api():
            return _error(400, "Send the page's CSRF token in X-CSRFToken, or use a Bearer token.", "csrf-failed")
        if request.path.startswith("/contribute"):
            g.lang = i18n.choose(request)  # CSRF's check runs before the app's own hooks
        return _error(400, N_("This form has expired or was sent from another site. Reload the page and try again."))

    @app.errorhandler(AccessDenied)
    def access_denied(error):
        if not error.signed_in and not problems.is_api():
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        return _error(403 if error.signed_in else 401, N_("Your account may not do this."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        allow = getattr(error, "valid_methods", None)  # a 405 says what would do (RFC 9110)
        return _error(error.code, error.description, headers={"Allow": ", ".join(allow)} if allow else None)

    @app.errorhandler(problems.Problem)
    def api_problem(error):
        return problems.response(error.status, error.detail, error.code, error.field, **error.extensions)

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(error):
        return _error(
            503,
            N_("Search is being rebuilt; this takes a minute or two. Please try again shortly."),
            "index-rebuilding",
            {"Retry-After": str(error.retry_after)},
        )

    @app.errorhandler(DiskFullError)
    @app.errorhandler(OSError)
    @app.errorhandler(sqlite3.OperationalError)
    def disk_full(error):
        if not is_disk_full(error):
            raise error  # not ours to explain: Flask answers 500 and logs it
        current_app.logger.error("the disk is full: %s", error)
        return _error(
            507,
            N_(
                "The archive's disk is full; nothing was changed. Please tell the archive's staff, and try again later."
            ),
            "disk-full",
        )


ACCESS_NAMES = {choice.value: choice.label for choice in ACCESS_CHOICES}  # the access levels in words
ROLE_NAMES = {"admin": N_("admin"), "historian": N_("historian"), "researcher": N_("researcher")}  # accounts.ROLES


def signin_url() -> str:
    """The sign-in page, asked to bring the reader back to this page afterwards (the language switch aside)."""
    if request.blueprint == "auth":
        return url_for("auth.signin")
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    here = request.path + ("?" + urlencode(args) if args else "")
    return url_for("auth.signin", next=here)


def language_url(lang: str, path: str | None = None) -> str:
    """This page in another language: the same address and arguments, with `lang` set (the switcher's links); a
    page whose address holds a secret (a receipt link) names the plain address to send the reader to instead."""
    args = {} if path else request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return (path or request.path) + "?" + urlencode(args, doseq=True)


def timecode(seconds) -> str:
    """Show seconds as h:mm:ss, the way transcripts cite times."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def seconds(value) -> str:
    """A time in seconds as links write it (`?t=754`, `#t=9.5`): at most three decimals, none when whole."""
    if value is None:
        return ""
    return f"{float(value):.3f}".rstrip("0").rstrip(".")


def _error(status: int, detail: str, code: str | None = None, headers: dict | None = None):
    """Answer an error: a problem document to the API (with its machine `code`), the error page to people."""
    if problems.is_api():
        return problems.response(status, detail, code, headers=headers)
    page = render_template("errors.html", status=status, title=_TITLES.get(status, "Error"), detail=detail)
    return page, status, headers or {}


_TITLES = {
    400: N_("Bad request"),
    401: N_("Not signed in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed here"),
    413: N_("Too large"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Being rebuilt"),
    507: N_("Disk full"),
}
