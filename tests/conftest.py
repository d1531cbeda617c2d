"""Standard fixtures: a real app on a temporary data root, its client and command line, and signed-in roles."""

import re

import pytest
from click.testing import CliRunner

from archive import accounts, create_app
from archive.cli import cli

PASSWORD = "a long enough password"


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "ARCHIVE_DATA": tmp_path})


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

