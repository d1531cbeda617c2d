"""Signing in and out, and finding out who is asking (the only place that reads credentials from a request)."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from .. import access, accounts
from ..errors import AccountError, SignInThrottled
from ..i18n import N_, sentence
from ..i18n import translate as _
from ..i18n import translate_plural as _n
from .forms.auth import SignInForm, SignOutForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def load_viewer():
    """Set g.viewer from a bearer token (scripts) or the session (browsers), None for anonymous readers; and g.reader,
    which access.py asks, from it, the receipt links this browser has opened (see views/contribute.py) and the records
    staff granted this account (see views/access_requests.py)."""
    g.viewer = None
    g.reader = access.Reader()
    if request.endpoint == "static":
        return
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.viewer = accounts.user_for_token(header.removeprefix("Bearer ").strip())
        if g.viewer is None:
            abort(401, N_("The API token is not valid."))
    elif "sid" in session:
        g.viewer = accounts.user_for_session(session["sid"])
        if g.viewer is None:
            session.clear()
    grants = accounts.granted_records(g.viewer) if g.viewer is not None and not g.viewer.is_staff else frozenset()
    g.reader = access.Reader(g.viewer, frozenset(session.get("family", ())), grants)


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            user = accounts.authenticate(
                name, form.password.data, request.remote_addr or "", known_browser=name in _known_names()
            )
        except SignInThrottled as e:
            minutes = max(1, round(e.retry_after / 60))
            form.form_errors.append(
                _n(
                    "Too many failed sign-in attempts; try again in {n} minute.",
                    "Too many failed sign-in attempts; try again in {n} minutes.",
                    minutes,
                )
            )
            return render_template("auth/signin.html", form=form), 429, {"Retry-After": str(e.retry_after)}
        except AccountError as e:
            form.form_errors.append(sentence(e))
            return render_template("auth/signin.html", form=form), 403
        if user is not None:
            old = session.get("sid")
            if old:
                accounts.close_session(old)
            session.clear()  # a new session at sign-in: nothing planted before it survives
            session["sid"] = accounts.open_session(user)
            flash(_("Signed in as {name}.", name=user.name))
            response = redirect(safe_next(request.args.get("next")))
            _remember_name(response, user.name)
            return response
        form.form_errors.append(_("That account name and password do not match."))
        status = 401
    return render_template("auth/signin.html", form=form), status


# A browser that has signed in as a name keeps a signed cookie saying so; it spares that browser the delay that
# failures from elsewhere put on the name (accounts.signin_delay), so nobody can keep the owner out.
KNOWN_COOKIE = "archive_known"
KNOWN_DAYS = 365


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-browser")


def _known_names() -> list[str]:
    try:
        names = _serializer().loads(request.cookies.get(KNOWN_COOKIE, ""))
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _remember_name(response, name: str) -> None:
    names = [n for n in _known_names() if n != name][-4:] + [name]
    response.set_cookie(
        KNOWN_COOKIE,
        _serializer().dumps(names),
        max_age=KNOWN_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["ARCHIVE_HTTPS"]),
        path="/auth/",
    )


@bp.post("/signout")
def signout():
    form = SignOutForm()
    if form.validate_on_submit() and "sid" in session:
        accounts.close_session(session["sid"])
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("public.index"))


def safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site: one leading "/", no scheme, no host, no backslash, no control
    character or space (browsers drop tabs and newlines, so "/<tab>/evil.example" would become "//evil.example").
    Anything else goes to the start page."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()
        and "\\" not in target
        and " " not in target
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/") and not parts.path.startswith("//"):
            return target
    return url_for("public.index")
