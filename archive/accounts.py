"""Accounts: who may sign in, their password hashes, API tokens and sign-in sessions.

Kept in SQLite in the instance folder, not in the collection: accounts belong to one installation, the collection to
posterity. Sessions live here too, so that signing out ends a session everywhere, even in a copied cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g

from .errors import AccountError, SignInThrottled

ROLES = ("admin", "historian", "researcher")
STAFF_ROLES = ("admin", "historian")
MAX_PASSWORD_LENGTH = 1024  # argon2 would take longer ones, but nobody types them; refuse rather than hash megabytes
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")
_ADDRESS_FACTOR = 4  # one address (a library, a school) may hold several people who mistype

_hasher = PasswordHasher()  # argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS signin_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_key ON attempts (key, at);
CREATE INDEX IF NOT EXISTS signin_failures_key ON signin_failures (key, at);
"""


@dataclass(frozen=True)
class User:
    """A person with an account."""

    id: int
    name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def init_app(app: Flask) -> None:
    """Close the request's database connection when its app context ends."""
    app.teardown_appcontext(_close_db)


def db() -> sqlite3.Connection:
    """Open (once per app context) the accounts database, creating its tables on first use."""
    if "accounts_db" not in g:
        path = Path(current_app.instance_path) / "accounts.sqlite3"
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        g.accounts_db = conn
    return g.accounts_db


def _close_db(_exc=None) -> None:
    conn = g.pop("accounts_db", None)
    if conn is not None:
        conn.close()


def add_user(name: str, role: str, password: str) -> User:
    """Create an account, refusing a bad name, an unknown role or a weak password with a reason."""
    check_account(name, role)
    check_password(password)
    try:
        cur = db().execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (name, role, _hasher.hash(password), time.time()),
        )
    except sqlite3.IntegrityError:
        raise AccountError(f"an account named {name!r} already exists") from None
    return User(cur.lastrowid, name, role)


def check_account(name: str, role: str) -> None:
    """Refuse a malformed or taken account name and an unknown role, before anyone types a password."""
    if not _NAME_RE.fullmatch(name or ""):
        raise AccountError(
            f"account name {name!r} must be 2 to 32 characters: lowercase Latin letters, digits, '-' or '_'"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose {', '.join(ROLES[:-1])} or {ROLES[-1]}")
    if get_user(name) is not None:
        raise AccountError(f"an account named {name!r} already exists")


def check_password(password: str) -> None:
    """Refuse a password that is too short or absurdly long."""
    minimum = int(current_app.config["ARCHIVE_PASSWORD_MIN_LENGTH"])
    if len(password) < minimum:
        raise AccountError(f"password is too short: use at least {minimum} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password is too long: use at most {MAX_PASSWORD_LENGTH} characters")


def get_user(name: str) -> User | None:
    """Find an account by name."""
    row = db().execute("SELECT id, name, role FROM users WHERE name = ?", (name,)).fetchone()
    return User(row["id"], row["name"], row["role"]) if row else None


def users() -> list[User]:
    """List every account by name."""
    return [User(r["id"], r["name"], r["role"]) for r in db().execute("SELECT id, name, role FROM users ORDER BY name")]


def authenticate(name: str, password: str, address: str) -> User | None:
    """Check a sign-in; None when name or password is wrong, SignInThrottled after too many failures."""
    window = float(current_app.config["ARCHIVE_SIGNIN_WINDOW"])
    limit = int(current_app.config["ARCHIVE_SIGNIN_MAX_FAILURES"])
    keys = {f"name:{name.lower()}": limit, f"address:{address}": limit * _ADDRESS_FACTOR}
    now = time.time()
    conn = db()
    conn.execute("DELETE FROM signin_failures WHERE at < ?", (now - window,))
    for key, allowed in keys.items():
        count, oldest = conn.execute(
            "SELECT COUNT(*), MIN(at) FROM signin_failures WHERE key = ? AND at >= ?", (key, now - window)
        ).fetchone()
        if count >= allowed:
            raise SignInThrottled(int(oldest + window - now) + 1)
    row = conn.execute("SELECT id, name, role, password_hash FROM users WHERE name = ?", (name,)).fetchone()
    stored = row["password_hash"] if row else _dummy_hash()  # same work for unknown names: no way to probe them
    try:
        _hasher.verify(stored, password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        conn.executemany("INSERT INTO signin_failures (key, at) VALUES (?, ?)", [(k, now) for k in keys])
        return None
    conn.execute("DELETE FROM signin_failures WHERE key = ?", (f"name:{name.lower()}",))
    if _hasher.check_needs_rehash(stored):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return User(row["id"], row["name"], row["role"])


def throttle(key: str, limit: int, window: float, count: bool = True) -> int:
    """Ask about an attempt at something limited per address (e.g. "contribute:<address>"): 0 if it may go ahead,
    else the seconds until it may; `count` records it (or call `attempted` once it has succeeded). Attempts older
    than `window` are forgotten."""
    now = time.time()
    conn = db()
    conn.execute("DELETE FROM attempts WHERE key = ? AND at < ?", (key, now - window))  # each limit its window
    made, oldest = conn.execute("SELECT COUNT(*), MIN(at) FROM attempts WHERE key = ?", (key,)).fetchone()
    if made >= limit:
        return int(oldest + window - now) + 1
    if count:
        attempted(key)
    return 0


def attempted(key: str) -> None:
    """Record an attempt that counts towards a throttle."""
    db().execute("INSERT INTO attempts (key, at) VALUES (?, ?)", (key, time.time()))


def new_token(name: str) -> str:
    """Issue an API token for an account; only its digest is stored, so it is shown once."""
    user = get_user(name)
    if user is None:
        raise AccountError(f"no account named {name!r}")
    token = secrets.token_urlsafe(32)
    db().execute("INSERT INTO tokens (hash, user_id, created) VALUES (?, ?, ?)", (_digest(token), user.id, time.time()))
    return token


def user_for_token(token: str) -> User | None:
    """Find the account an API token belongs to."""
    return _user_by("SELECT user_id FROM tokens WHERE hash = ?", token)


def open_session(user: User) -> str:
    """Start a sign-in session and return the key the browser keeps."""
    key = secrets.token_urlsafe(32)
    hours = float(current_app.config["ARCHIVE_SESSION_HOURS"])
    conn = db()
    conn.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
    conn.execute(
        "INSERT INTO sessions (hash, user_id, expires) VALUES (?, ?, ?)",
        (_digest(key), user.id, time.time() + hours * 3600),
    )
    return key


def user_for_session(key: str) -> User | None:
    """Find who a live session key belongs to."""
    return _user_by("SELECT user_id FROM sessions WHERE hash = ? AND expires > ?", key, time.time())


def close_session(key: str) -> None:
    """End a session so that its key is worthless, wherever a copy of it is."""
    db().execute("DELETE FROM sessions WHERE hash = ?", (_digest(key),))


def _user_by(owner_query: str, secret: str, *params) -> User | None:
    if not secret:
        return None
    row = db().execute(
        f"SELECT id, name, role FROM users WHERE id = ({owner_query})", (_digest(secret), *params)
    ).fetchone()
    return User(row["id"], row["name"], row["role"]) if row else None


def _digest(secret: str) -> str:
    """Hash a random token: it has 256 bits of entropy, so a plain SHA-256 is enough to store it."""
    return hashlib.sha256(secret.encode()).hexdigest()


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]
