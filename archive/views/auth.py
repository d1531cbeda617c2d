"""Signing in and out, and finding out who is asking (the only place that reads credentials from a request)."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from .. import access, accounts
from ..errors import SignInThrottled
from ..forms import SignInForm, SignOutForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def load_viewer():
    """Set g.viewer from a bearer token (scripts) or the session (browsers), None for anonymous readers; and g.reader,
    which access.py asks, from it and the receipt links this browser has opened (see views/contribute.py)."""
    g.viewer = None
    g.reader = access.Reader()
    if request.endpoint == "static":
        return
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.viewer = accounts.user_for_token(header.removeprefix("Bearer ").strip())
        if g.viewer is None:
            abort(401, "The API token is not valid.")
    elif "sid" in session:
        g.viewer = accounts.user_for_session(session["sid"])
        if g.viewer is None:
            session.clear()
    g.reader = access.Reader(g.viewer, frozenset(session.get("family", ())))


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.name.data.strip(), form.password.data, request.remote_addr or "")
        except SignInThrottled as e:
            form.form_errors.append(str(e))
            return render_template("auth/signin.html", form=form), 429, {"Retry-After": str(e.retry_after)}
        if user is not None:
            old = session.get("sid")
            if old:
                accounts.close_session(old)
            session.clear()  # a new session at sign-in: nothing planted before it survives
            session["sid"] = accounts.open_session(user)
            flash(f"Signed in as {user.name}.")
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append("That account name and password do not match.")
        status = 401
    return render_template("auth/signin.html", form=form), status


@bp.post("/signout")
def signout():
    form = SignOutForm()
    if form.validate_on_submit() and "sid" in session:
        accounts.close_session(session["sid"])
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("public.index"))


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site, never to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("public.index")
