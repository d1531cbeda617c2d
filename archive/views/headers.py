"""The headers every response carries, set in one place: a strict Content-Security-Policy (no inline script or
style anywhere), no sniffing, no framing, no Referer beyond this site (a receipt link is a secret), and caching
rules that keep what a signed-in or family reader receives out of every cache. A page's schema.org data block
(`<script type="application/ld+json">`, exports/schema_org.py) is data the browser never runs, so the policy needs no
exception for it.

Caching: anything sent to a reader with an account or a receipt (`access.Reader`), anything that sets a cookie, and
the account pages are `no-store`. What anonymous readers get keeps the view's own rule (derivatives of public
items are `private, no-cache`), else `no-cache`. Static files are left to Flask. A no-store response loses its
validators, except the API's ETag: that is the version of what was read, which a script names in If-Match to write.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
NO_STORE_BLUEPRINTS = ("auth", "moderate", "jobs")  # account pages, the inbox and the jobs, whoever asks


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response):
    """Add the security headers and the caching rule to a response (error pages and redirects included)."""
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("ARCHIVE_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint == "static":
        return response
    if personal(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        if request.blueprint != "api":  # the API's ETag is the version a writer names in If-Match: it must reach them
            response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"
    return response


def personal(response) -> bool:
    """Tell whether a response is meant for this reader alone and must never be stored: the reader is signed in or
    holds a receipt (its session says so, read here even when a check such as CSRF refused the request before the
    reader was known), or is a script with a token, or the response sets a cookie, or it is an account page."""
    return bool(
        "sid" in session
        or session.get("family")
        or request.headers.get("Authorization")
        or "Set-Cookie" in response.headers
        or current_app.session_interface.should_set_cookie(current_app, session)  # saved after this hook
        or request.blueprint in NO_STORE_BLUEPRINTS
    )
