"""Accounts: who may sign in, their password hashes, API tokens, sign-in sessions, the limits on attempts, and
researchers' requests for access to records kept for staff (what access.py reads as `Reader.grants`).

Kept in SQLite in the instance folder, not in the collection: accounts belong to one installation, the collection to
posterity. Sessions live here too, so that signing out ends a session everywhere, even in a copied cookie.

Every limit counts and takes an attempt in one `BEGIN IMMEDIATE` transaction, so concurrent requests in any number of
worker processes cannot all slip under it. Sign-in failures are limited per (name, address) and per address; per
name there is only a delay that grows with failures and stops at `ARCHIVE_SIGNIN_MAX_DELAY`, and a browser that has
signed in as that name before is spared it: a stranger can neither lock a historian out nor guess from many
addresses at speed. Time comes from `now()`, which tests replace (`app.extensions["clock"]`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g

from .errors import AccountError, SignInThrottled
from .i18n import N_

ROLES = ("admin", "historian", "researcher")
STAFF_ROLES = ("admin", "historian")
MAX_PASSWORD_LENGTH = 1024  # argon2 would take longer ones, but nobody types them; refuse rather than hash megabytes
TOKEN_PREFIX = 8  # characters of a token kept in clear, to name it in lists and revocations (the rest: 250 bits)
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
CREATE TABLE IF NOT EXISTS access_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    record TEXT NOT NULL,
    reason TEXT NOT NULL,
    asked REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'asked',
    decided_by TEXT,
    decided REAL,
    note TEXT NOT NULL DEFAULT '',
    until TEXT
);
CREATE INDEX IF NOT EXISTS access_requests_user ON access_requests (user_id, record);
"""
# A table added after the first release is created by the CREATE TABLE IF NOT EXISTS above when an older database is
# next opened (access_requests came with issue 16); COLUMNS below are for columns added to existing tables.
# Columns added after the first release, each (table, column, declaration); added once, by whichever process first
# opens an older database.
COLUMNS = (("users", "disabled", "REAL"), ("tokens", "prefix", "TEXT"), ("tokens", "expires", "REAL"))
SCHEMA_VERSION = 2  # PRAGMA user_version once COLUMNS are added


@dataclass(frozen=True)
class User:
    """A person with an account."""

    id: int
    name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class Account:
    """An account as `archive user list` shows it."""

    user: User
    disabled: float | None
    tokens: int
    next_expiry: float | None


@dataclass(frozen=True)
class Token:
    """An API token as listed: its first characters (never the whole), when it was made, and when it stops working."""

    prefix: str
    created: float
    expires: float | None


def init_app(app: Flask) -> None:
    """Close the request's database connection when its app context ends."""
    app.teardown_appcontext(_close_db)


def now() -> float:
    """The time every limit and expiry is measured by: the app's clock if a test gave it one."""
    return current_app.extensions.get("clock", time.time)()


def db() -> sqlite3.Connection:
    """Open (once per app context) the accounts database, creating or extending its tables on first use."""
    if "accounts_db" not in g:
        path = Path(current_app.instance_path) / "accounts.sqlite3"
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        _add_columns(conn)
        g.accounts_db = conn
    return g.accounts_db


def _add_columns(conn: sqlite3.Connection) -> None:
    """Bring an older database up to date, once (a read on every later connection, no lock)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    with immediate(conn):
        for table, column, declaration in COLUMNS:
            present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def immediate(conn: sqlite3.Connection):
    """One write transaction, taken before reading: what is counted inside cannot change until it ends."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _close_db(_exc=None) -> None:
    conn = g.pop("accounts_db", None)
    if conn is not None:
        conn.close()


# --- accounts ------------------------------------------------------------------------------------------------------


def add_user(name: str, role: str, password: str) -> User:
    """Create an account, refusing a bad name, an unknown role or a weak password with a reason."""
    check_account(name, role)
    check_password(password)
    try:
        cur = db().execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (name, role, _hasher.hash(password), now()),
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
    """Find an account by name (disabled ones too)."""
    row = db().execute("SELECT id, name, role FROM users WHERE name = ?", (name,)).fetchone()
    return User(row["id"], row["name"], row["role"]) if row else None


def _existing(name: str) -> User:
    user = get_user(name)
    if user is None:
        raise AccountError(f"no account named {name!r}")
    return user


def users() -> list[User]:
    """List every account by name."""
    return [User(r["id"], r["name"], r["role"]) for r in db().execute("SELECT id, name, role FROM users ORDER BY name")]


def accounts() -> list[Account]:
    """Every account with whether it is disabled, and its live tokens: how many, and when the first one expires."""
    rows = db().execute(
        "SELECT u.id, u.name, u.role, u.disabled, COUNT(t.hash) AS tokens, MIN(t.expires) AS next_expiry "
        "FROM users u LEFT JOIN tokens t ON t.user_id = u.id AND (t.expires IS NULL OR t.expires > ?) "
        "GROUP BY u.id ORDER BY u.name",
        (now(),),
    )
    return [Account(User(r["id"], r["name"], r["role"]), r["disabled"], r["tokens"], r["next_expiry"]) for r in rows]


def set_disabled(name: str, disabled: bool) -> None:
    """Disable an account (it can no longer sign in; its sessions end and its tokens stop working at once), or
    enable it again (its tokens work again until they expire)."""
    user = _existing(name)
    conn = db()
    with immediate(conn):
        conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (now() if disabled else None, user.id))
        if disabled:
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))


# --- signing in ----------------------------------------------------------------------------------------------------


def authenticate(name: str, password: str, address: str, known_browser: bool = False) -> User | None:
    """Check a sign-in; None when name or password is wrong, SignInThrottled when it must wait, AccountError when the
    account is disabled (said only to whoever knows its password).

    `known_browser`: the browser proved it signed in as `name` before, so it is spared the per-name delay (but not
    the limits per address)."""
    limit = int(current_app.config["ARCHIVE_SIGNIN_MAX_FAILURES"])
    name_key = f"name:{name.lower()}"
    keys = [f"pair:{name.lower()}|{address}", f"address:{address}", name_key]
    taken = _take_signin(keys, {keys[0]: limit, keys[1]: limit * _ADDRESS_FACTOR}, None if known_browser else name_key)
    row = db().execute("SELECT id, name, role, password_hash, disabled FROM users WHERE name = ?", (name,)).fetchone()
    stored = row["password_hash"] if row else _dummy_hash()  # same work for unknown names: no way to probe them
    try:
        _hasher.verify(stored, password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        return None  # the failures taken above stand
    conn = db()
    with immediate(conn):
        conn.executemany("DELETE FROM signin_failures WHERE rowid = ?", [(rowid,) for rowid in taken])
        conn.executemany("DELETE FROM signin_failures WHERE key = ?", [(keys[0],), (name_key,)])
    if row["disabled"]:
        raise AccountError(N_("this account is disabled; ask an administrator"))
    if _hasher.check_needs_rehash(stored):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return User(row["id"], row["name"], row["role"])


def _take_signin(keys: list[str], limits: dict[str, int], delayed: str | None) -> list[int]:
    """Count recent failures and, if this attempt may go ahead, record it as a failure in the same transaction (it
    is taken back if the password is right). Return the rows taken."""
    window = float(current_app.config["ARCHIVE_SIGNIN_WINDOW"])
    at = now()
    conn = db()
    with immediate(conn):
        conn.execute("DELETE FROM signin_failures WHERE at < ?", (at - window,))
        for key, allowed in limits.items():
            count, oldest = conn.execute(
                "SELECT COUNT(*), MIN(at) FROM signin_failures WHERE key = ?", (key,)
            ).fetchone()
            if count >= allowed:
                raise SignInThrottled(int(oldest + window - at) + 1)
        if delayed is not None:
            wait = signin_delay(conn, delayed, at)
            if wait > 0:
                raise SignInThrottled(int(wait) + 1)
        return [
            conn.execute("INSERT INTO signin_failures (key, at) VALUES (?, ?)", (key, at)).lastrowid for key in keys
        ]


def signin_delay(conn: sqlite3.Connection, key: str, at: float) -> float:
    """Seconds an attempt on this name must still wait: none for the first ARCHIVE_SIGNIN_MAX_FAILURES failures in
    the window, then 1, 2, 4 ... seconds after the latest one, never more than ARCHIVE_SIGNIN_MAX_DELAY. Attempts
    refused for waiting are not failures, so hammering does not lengthen it."""
    free = int(current_app.config["ARCHIVE_SIGNIN_MAX_FAILURES"])
    cap = float(current_app.config["ARCHIVE_SIGNIN_MAX_DELAY"])
    count, latest = conn.execute("SELECT COUNT(*), MAX(at) FROM signin_failures WHERE key = ?", (key,)).fetchone()
    if count < free:
        return 0.0
    return max(0.0, latest + min(cap, 2.0 ** (count - free)) - at)


# --- limits on other attempts --------------------------------------------------------------------------------------


def reserve(key: str, limit: int, window: float) -> tuple[int, int | None]:
    """Count and take an attempt at something limited per address (e.g. "contribute:<address>") in one step:
    (0, the attempt's id) if it may go ahead, else (seconds until it may, None). Attempts older than `window` are
    forgotten; `release` gives one back."""
    at = now()
    conn = db()
    with immediate(conn):
        conn.execute("DELETE FROM attempts WHERE key = ? AND at < ?", (key, at - window))  # each limit its window
        made, oldest = conn.execute("SELECT COUNT(*), MIN(at) FROM attempts WHERE key = ?", (key,)).fetchone()
        if made >= limit:
            return int(oldest + window - at) + 1, None
        return 0, conn.execute("INSERT INTO attempts (key, at) VALUES (?, ?)", (key, at)).lastrowid


def release(attempt: int | None) -> None:
    """Give back an attempt that should not count (a testimony refused for a wrong file uses up nothing)."""
    if attempt is not None:
        db().execute("DELETE FROM attempts WHERE rowid = ?", (attempt,))


def throttle(key: str, limit: int, window: float) -> int:
    """Take an attempt that counts whatever its outcome (a receipt code tried): 0, or the seconds to wait."""
    return reserve(key, limit, window)[0]


# --- API tokens ----------------------------------------------------------------------------------------------------


def new_token(name: str, days: float = 365) -> str:
    """Issue an API token for an account, valid for `days`; only its digest and first characters are stored, so it
    is shown once."""
    user = _existing(name)
    if days <= 0:
        raise AccountError("a token must be valid for at least one day")
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # a prefix beginning with "-" would be read as an option by `archive user revoke`
        token = secrets.token_urlsafe(32)
    made = now()
    db().execute(
        "INSERT INTO tokens (hash, user_id, created, prefix, expires) VALUES (?, ?, ?, ?, ?)",
        (_digest(token), user.id, made, token[:TOKEN_PREFIX], made + days * 86400),
    )
    return token


def tokens(name: str) -> list[Token]:
    """An account's tokens, newest first (expired ones too, until revoked)."""
    user = _existing(name)
    return [
        Token(r["prefix"] or "(unnamed)", r["created"], r["expires"])
        for r in db().execute(
            "SELECT prefix, created, expires FROM tokens WHERE user_id = ? ORDER BY created DESC", (user.id,)
        )
    ]


def revoke(name: str, prefix: str | None = None) -> int:
    """Revoke an account's tokens: every one, or those beginning with `prefix`. Return how many."""
    user = _existing(name)
    if prefix is None:
        return db().execute("DELETE FROM tokens WHERE user_id = ?", (user.id,)).rowcount
    wanted = prefix.strip()
    if not wanted:
        raise AccountError("give the first characters of the token, as `archive user tokens` lists them")
    rows = db().execute("SELECT hash, prefix FROM tokens WHERE user_id = ?", (user.id,)).fetchall()
    matching = [
        r["hash"] for r in rows if r["prefix"] and (r["prefix"].startswith(wanted) or wanted.startswith(r["prefix"]))
    ]
    if not matching:
        raise AccountError(f"{name} has no token beginning with {wanted!r}")
    if len(matching) > 1:
        raise AccountError(f"{len(matching)} tokens of {name} begin with {wanted!r}; give more characters")
    return db().execute("DELETE FROM tokens WHERE hash = ?", (matching[0],)).rowcount


def user_for_token(token: str) -> User | None:
    """Find the enabled account a live API token belongs to."""
    return _user_by("SELECT user_id FROM tokens WHERE hash = ? AND (expires IS NULL OR expires > ?)", token, now())


# --- sessions ------------------------------------------------------------------------------------------------------


def open_session(user: User) -> str:
    """Start a sign-in session and return the key the browser keeps."""
    key = secrets.token_urlsafe(32)
    hours = float(current_app.config["ARCHIVE_SESSION_HOURS"])
    conn = db()
    conn.execute("DELETE FROM sessions WHERE expires < ?", (now(),))
    conn.execute(
        "INSERT INTO sessions (hash, user_id, expires) VALUES (?, ?, ?)",
        (_digest(key), user.id, now() + hours * 3600),
    )
    return key


def user_for_session(key: str) -> User | None:
    """Find who a live session key belongs to (nobody, once the account is disabled)."""
    return _user_by("SELECT user_id FROM sessions WHERE hash = ? AND expires > ?", key, now())


def close_session(key: str) -> None:
    """End a session so that its key is worthless, wherever a copy of it is."""
    db().execute("DELETE FROM sessions WHERE hash = ?", (_digest(key),))


def _user_by(owner_query: str, secret: str, *params) -> User | None:
    if not secret:
        return None
    row = (
        db()
        .execute(
            f"SELECT id, name, role FROM users WHERE id = ({owner_query}) AND disabled IS NULL",
            (_digest(secret), *params),
        )
        .fetchone()
    )
    return User(row["id"], row["name"], row["role"]) if row else None


def _digest(secret: str) -> str:
    """Hash a random token: it has 256 bits of entropy, so a plain SHA-256 is enough to store it."""
    return hashlib.sha256(secret.encode()).hexdigest()


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


# --- researchers' requests for access (issue 16) -------------------------------------------------------------------
# A signed-in researcher asks for a record that the archive keeps for staff ("interviews/<id>" or "media/<id>"), with
# a reason; staff grant it (optionally until a date, that day included) or refuse it (with an optional note). Whether
# a grant opens anything is access.py's decision alone: this table only keeps who asked what and what was decided.

ASKED, GRANTED, REFUSED, REVOKED = "asked", "granted", "refused", "revoked"  # revoked: a grant staff ended early
MAX_REASON = 2000  # characters of a reason or a note: a paragraph or two, not a document


@dataclass(frozen=True)
class AccessRequest:
    """One request: who asked (`user`), for which record, why, when, and what staff decided."""

    id: int
    user: User
    record: str
    reason: str
    asked: float
    state: str
    decided_by: str | None
    decided: float | None
    note: str
    until: str | None  # ISO date: the last day a grant opens the record (None: no end)

    def live(self, on: date) -> bool:
        """Tell whether this is a grant that still opens its record on that day."""
        return self.state == GRANTED and (self.until is None or date.fromisoformat(self.until) >= on)


_REQUEST_COLUMNS = (
    "r.id, r.record, r.reason, r.asked, r.state, r.decided_by, r.decided, r.note, r.until, "
    "u.id AS user_id, u.name, u.role"
)


def _request(row: sqlite3.Row) -> AccessRequest:
    return AccessRequest(
        row["id"],
        User(row["user_id"], row["name"], row["role"]),
        row["record"],
        row["reason"],
        row["asked"],
        row["state"],
        row["decided_by"],
        row["decided"],
        row["note"],
        row["until"],
    )


def today() -> date:
    """The day by the app's clock (UTC), which grants' end dates are measured by."""
    return datetime.fromtimestamp(now(), UTC).date()


def ask_access(user: User, record: str, reason: str) -> AccessRequest:
    """Keep a request for `record`; refused while the same account's earlier request for it waits for a decision."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountError(N_("say why you need this record"), "reason", "reason-missing")
    if len(reason) > MAX_REASON:
        raise AccountError(
            N_("the reason is too long: write at most {limit} characters"),
            "reason",
            "reason-too-long",
            limit=MAX_REASON,
        )
    conn = db()
    with immediate(conn):
        waiting = conn.execute(
            "SELECT 1 FROM access_requests WHERE user_id = ? AND record = ? AND state = ?", (user.id, record, ASKED)
        ).fetchone()
        if waiting:
            raise AccountError(N_("you have already asked for this record; staff will answer"), None, "already-asked")
        number = conn.execute(
            "INSERT INTO access_requests (user_id, record, reason, asked) VALUES (?, ?, ?, ?)",
            (user.id, record, reason, now()),
        ).lastrowid
    return access_request(number)


def decide_access(number: int, state: str, by: str, note: str = "", until: date | None = None) -> AccessRequest:
    """Grant or refuse a waiting request, once; a grant may end on a day (not before today)."""
    if state not in (GRANTED, REFUSED):
        raise AccountError(f"unknown decision {state!r}")
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise AccountError(
            N_("the note is too long: write at most {limit} characters"), "note", "note-too-long", limit=MAX_REASON
        )
    until = until if state == GRANTED else None
    if until is not None and until < today():
        raise AccountError(N_("a grant ends today or later"), "until", "until-past")
    conn = db()
    with immediate(conn):
        done = conn.execute(
            "UPDATE access_requests SET state = ?, decided_by = ?, decided = ?, note = ?, until = ? "
            "WHERE id = ? AND state = ?",
            (state, by, now(), note, until.isoformat() if until else None, number, ASKED),
        ).rowcount
    if not done:
        if access_request(number) is None:
            raise AccountError(N_("there is no such request"), None, "no-request")
        raise AccountError(N_("this request has already been decided"), None, "already-decided")
    return access_request(number)


def revoke_access(number: int, by: str, note: str = "") -> AccessRequest:
    """End a grant before its last day (who ended it, when and the note replace the grant's; the audit log keeps
    both)."""
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise AccountError(
            N_("the note is too long: write at most {limit} characters"), "note", "note-too-long", limit=MAX_REASON
        )
    done = (
        db()
        .execute(
            "UPDATE access_requests SET state = ?, decided_by = ?, decided = ?, note = ? WHERE id = ? AND state = ?",
            (REVOKED, by, now(), note, number, GRANTED),
        )
        .rowcount
    )
    if not done:
        raise AccountError(N_("only a grant can be ended"), None, "not-granted")
    return access_request(number)


def access_request(number: int) -> AccessRequest | None:
    """One request by its number."""
    row = (
        db()
        .execute(
            f"SELECT {_REQUEST_COLUMNS} FROM access_requests r JOIN users u ON u.id = r.user_id WHERE r.id = ?",
            (number,),
        )
        .fetchone()
    )
    return _request(row) if row else None


def access_requests(user: User | None = None, record: str | None = None) -> list[AccessRequest]:
    """Requests, of one account or for one record or all: waiting ones first (oldest first), then the decided ones
    (latest decision first)."""
    where, params = [], []
    if user is not None:
        where.append("r.user_id = ?")
        params.append(user.id)
    if record is not None:
        where.append("r.record = ?")
        params.append(record)
    rows = db().execute(
        f"SELECT {_REQUEST_COLUMNS} FROM access_requests r JOIN users u ON u.id = r.user_id "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} "
        "ORDER BY r.state != 'asked', CASE WHEN r.state = 'asked' THEN r.asked ELSE -r.decided END, r.id",
        params,
    )
    return [_request(row) for row in rows]


def granted_records(user: User | None) -> frozenset[str]:
    """The records ("interviews/<id>", "media/<id>") this account holds a grant for today, by the app's clock
    (grants whose last day has passed are left out)."""
    if user is None:
        return frozenset()
    rows = db().execute(
        "SELECT record FROM access_requests WHERE user_id = ? AND state = ? AND (until IS NULL OR until >= ?)",
        (user.id, GRANTED, today().isoformat()),
    )
    return frozenset(row["record"] for row in rows)
