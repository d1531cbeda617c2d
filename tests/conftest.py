"""Standard fixtures: a real app on a temporary data root, its client and command line, and signed-in roles."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import accounts, create_app
from archive.cli import cli

PASSWORD = "a long enough password"


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "ARCHIVE_DATA": tmp_path, "ARCHIVE_INDEX_CHECK_AT_START": False})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def collection(app):
    return app.extensions["collection"]


@pytest.fixture
def runner(app):
    """Run the `archive` command against the app's data root: runner("verify") -> click Result."""
    cli_runner = CliRunner()

    def invoke(*args, input=None):
        return cli_runner.invoke(cli, ["--data", str(app.config["ARCHIVE_DATA"]), *args], input=input)

    return invoke


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


class Auth:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def create(self, name: str, role: str, password: str = PASSWORD):
        with self.app.app_context():
            if accounts.get_user(name) is None:
                accounts.add_user(name, role, password)

    def sign_in(self, name: str, password: str = PASSWORD, **kwargs):
        token = csrf_token(self.client.get("/auth/signin"))
        return self.client.post(
            "/auth/signin", data={"name": name, "password": password, "csrf_token": token}, **kwargs
        )

    def login(self, role: str):
        """Create an account of `role` (named after it) and sign in through the real form."""
        self.create(role, role)
        response = self.sign_in(role)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        token = csrf_token(self.client.get("/"))
        return self.client.post("/auth/signout", data={"csrf_token": token})


@pytest.fixture
def auth(app, client):
    return Auth(app, client)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(data_root: Path):
    """Start `archive serve` (the production server) on a free port and yield its base URL once it answers."""
    port = free_port()
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    assert archive, "the archive console script is not installed beside this Python"
    server = subprocess.Popen(
        [archive, "--data", str(data_root), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()


def start_server(root: Path, log: Path, **settings) -> tuple[subprocess.Popen, str]:
    """Start `archive serve` on a free port with these ARCHIVE_ settings, its messages appended to `log`; return the
    process (the caller stops it) and its base URL once it answers."""
    port = free_port()
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
    with log.open("ab") as err:
        server = subprocess.Popen(
            [archive, "--data", str(root), "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=err, env=env
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=5).close()
            return server, base
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


@pytest.fixture
def live_server(app):
    with running_server(app.config["ARCHIVE_DATA"]) as base:
        yield base


CHROMIUM = os.environ.get("ARCHIVE_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's), driven by Playwright; skipped where none is installed, except in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing: .ci/run installs it")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


def browser_tab(app, browser, live_server, name: str, role: str = "historian"):
    """A new Chromium tab signed in through the real form as a new account `name` of `role`."""
    with app.app_context():
        accounts.add_user(name, role, PASSWORD)
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(10_000)
    tab.goto(live_server + "/auth/signin")
    tab.get_by_label("Account name").fill(name)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(live_server + "/")
    return tab


SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data():
    """Real public test material beside the repository (../shared/data); a fresh clone has none, so tests skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture
def sample_collection(app):
    """The shipped sample interviews and media items, and the collection's description, copied into the test's data
    root."""
    for kind in ("interviews", "media", "about"):
        shutil.copytree(REPOSITORY / kind, app.config["ARCHIVE_DATA"] / kind, dirs_exist_ok=True)
    app.extensions["search"].check(repair=True)
    return app.extensions["collection"]


class SampleSite:
    """A running `archive serve` over a copy of the sample collection, shared by one module's browser tests: its
    app (for accounts and the test client), its base URL and its data root."""

    def __init__(self, app, base: str):
        self.app, self.base = app, base
        self.root = app.config["ARCHIVE_DATA"]

    def account(self, name: str, role: str) -> str:
        with self.app.app_context():
            if accounts.get_user(name) is None:
                accounts.add_user(name, role, PASSWORD)
        return name


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The sample collection served once for a whole module (its index built first), so that a module of browser
    tests walking many pages pays for one server start, not one per test."""
    root = tmp_path_factory.mktemp("sample-site")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    for kind in ("interviews", "media", "about"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app.extensions["search"].check(repair=True)
    with running_server(root) as base:
        yield SampleSite(app, base)
