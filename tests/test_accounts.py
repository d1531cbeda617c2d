"""Accounts: argon2id hashes, hashed API tokens, throttled sign-in, and clear refusals."""

import sqlite3
from pathlib import Path

import pytest

from archive import accounts
from archive.errors import AccountError, SignInThrottled

PASSWORD = "a long enough password"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def database(app):
    return sqlite3.connect(Path(app.instance_path) / "accounts.sqlite3")


def test_password_is_stored_as_argon2id_only(ctx):
    accounts.add_user("anna", "historian", PASSWORD)
    [(stored,)] = database(ctx).execute("SELECT password_hash FROM users").fetchall()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate("anna", PASSWORD, "127.0.0.1").role == "historian"
    assert accounts.authenticate("anna", PASSWORD + "x", "127.0.0.1") is None
    assert accounts.authenticate("nobody", PASSWORD, "127.0.0.1") is None


@pytest.mark.parametrize(
    "name, role, password, message",
    [
        ("anna", "boss", PASSWORD, "unknown role 'boss'"),
        ("anna", "historian", "short pass", "at least 12 characters"),
        ("Anna Kim", "historian", PASSWORD, "lowercase Latin letters"),
        ("../x", "historian", PASSWORD, "lowercase Latin letters"),
        ("anna", "historian", "x" * 2000, "too long"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(ctx, name, role, password, message):
    with pytest.raises(AccountError, match=message):
        accounts.add_user(name, role, password)
    assert accounts.users() == []


def test_duplicate_name_is_refused(ctx):
    accounts.add_user("anna", "historian", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user("anna", "researcher", PASSWORD)


def test_api_token_is_stored_hashed_and_identifies_its_owner(ctx):
    accounts.add_user("anna", "researcher", PASSWORD)
    token = accounts.new_token("anna")
    assert len(token) >= 40
    stored = [row[0] for row in database(ctx).execute("SELECT hash FROM tokens")]
    assert stored and token not in stored
    assert accounts.user_for_token(token).name == "anna"
    assert accounts.user_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    with pytest.raises(AccountError, match="no account named 'boris'"):
        accounts.new_token("boris")


class Clock:
    """The app's clock, moved by hand: limits are tested without sleeping (and without flaking under load)."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_failed_sign_ins_delay_the_name_everywhere_then_are_forgotten(app):
    app.config.update(ARCHIVE_SIGNIN_MAX_FAILURES=3, ARCHIVE_SIGNIN_WINDOW=60)
    app.extensions["clock"] = clock = Clock()
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
        for _ in range(3):
            assert accounts.authenticate("anna", "wrong password!", "10.0.0.1") is None
        with pytest.raises(SignInThrottled) as caught:
            accounts.authenticate("anna", PASSWORD, "10.0.0.2")  # even the right password, from elsewhere ...
        assert 0 < caught.value.retry_after <= 2  # ... waits a second, not a lockout
        clock.now += 1.5
        assert accounts.authenticate("anna", PASSWORD, "10.0.0.2").name == "anna"
        with pytest.raises(SignInThrottled):  # the pair (name, address) has had its three, whoever signed in since
            accounts.authenticate("anna", PASSWORD, "10.0.0.1")
        clock.now += 61  # the window has passed: forgotten
        assert accounts.authenticate("anna", PASSWORD, "10.0.0.1").name == "anna"


def test_failed_sign_ins_are_throttled_per_address_across_names(app):
    app.config.update(ARCHIVE_SIGNIN_MAX_FAILURES=2)
    with app.app_context():
        accounts.add_user("anna", "historian", PASSWORD)
        for n in range(8):  # four times the per-name limit, spread over names so no single name trips
            assert accounts.authenticate(f"guess{n}", PASSWORD, "10.0.0.9") is None
        with pytest.raises(SignInThrottled):
            accounts.authenticate("anna", PASSWORD, "10.0.0.9")
        assert accounts.authenticate("anna", PASSWORD, "10.0.0.10").name == "anna"


def test_closed_session_key_is_worthless(ctx):
    user = accounts.add_user("anna", "historian", PASSWORD)
    key = accounts.open_session(user)
    assert accounts.user_for_session(key) == user
    accounts.close_session(key)
    assert accounts.user_for_session(key) is None


def test_expired_session_is_refused(app):
    app.config["ARCHIVE_SESSION_HOURS"] = -1
    with app.app_context():
        key = accounts.open_session(accounts.add_user("anna", "historian", PASSWORD))
        assert accounts.user_for_session(key) is None


def test_an_older_accounts_database_is_extended_and_its_tokens_keep_working(tmp_path):
    """Databases made before tokens had expiry and accounts could be disabled: columns are added once, on first use."""
    from archive import create_app

    (tmp_path / "instance").mkdir()
    old = sqlite3.connect(tmp_path / "instance" / "accounts.sqlite3")
    old.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                            password_hash TEXT NOT NULL, created REAL NOT NULL);
        CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                             created REAL NOT NULL);
    """)
    token = "an-old-token-made-before-expiry-existed-0123456789"
    old.execute("INSERT INTO users VALUES (1, 'anna', 'researcher', 'x', 0)")
    old.execute("INSERT INTO tokens VALUES (?, 1, 0)", (accounts._digest(token),))
    old.commit()
    old.close()
    app = create_app({"TESTING": True, "ARCHIVE_DATA": tmp_path, "ARCHIVE_INDEX_CHECK_AT_START": False})
    with app.app_context():
        assert accounts.user_for_token(token).name == "anna"  # made without an expiry: it keeps working
        assert [t.prefix for t in accounts.tokens("anna")] == ["(unnamed)"]
        assert accounts.db().execute("PRAGMA user_version").fetchone()[0] == accounts.SCHEMA_VERSION
        assert accounts.revoke("anna") == 1 and accounts.user_for_token(token) is None
