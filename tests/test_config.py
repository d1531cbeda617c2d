"""Settings are documented where defined, read from the environment, and the secret key is made, never shipped."""

import ast
import inspect
import stat

import pytest

import archive
from archive import config, create_app, settings_from_environment
from archive.errors import ConfigError


def test_every_setting_has_a_docstring():
    body = ast.parse(inspect.getsource(config)).body
    undocumented = []
    for statement, following in zip(body, body[1:] + [None], strict=False):
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                documented = (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                    and following.value.value.strip()
                )
                if not documented:
                    undocumented.append(target.id)
    assert undocumented == []
    assert all(name.startswith("ARCHIVE_") for name in archive.settings())


def test_no_archive_setting_is_defined_outside_config(app):
    assert {k for k in app.config if k.startswith("ARCHIVE_")} == set(archive.settings())


def test_settings_come_from_the_environment_with_their_types(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_DATA", str(tmp_path))
    monkeypatch.setenv("ARCHIVE_PORT", "5050")
    monkeypatch.setenv("ARCHIVE_LOCK_TIMEOUT", "2.5")
    app = create_app()
    assert app.config["ARCHIVE_DATA"] == tmp_path.resolve()
    assert app.config["ARCHIVE_PORT"] == 5050 and app.config["ARCHIVE_LOCK_TIMEOUT"] == 2.5


def test_a_malformed_setting_is_named():
    with pytest.raises(ConfigError, match="ARCHIVE_PORT='fifty' is not a valid int"):
        settings_from_environment({"ARCHIVE_PORT": "fifty"})
    with pytest.raises(ConfigError, match="ARCHIVE_HTTPS='maybe' is not a valid bool"):
        settings_from_environment({"ARCHIVE_HTTPS": "maybe"})


@pytest.mark.parametrize("raw, secure", [("1", True), ("true", True), ("0", False), ("no", False)])
def test_https_setting_marks_the_session_cookie_secure(tmp_path, monkeypatch, raw, secure):
    monkeypatch.setenv("ARCHIVE_HTTPS", raw)
    assert create_app({"ARCHIVE_DATA": tmp_path}).config["SESSION_COOKIE_SECURE"] is secure


def test_secret_key_is_generated_once_per_data_root(tmp_path):
    first = create_app({"ARCHIVE_DATA": tmp_path / "one"})
    again = create_app({"ARCHIVE_DATA": tmp_path / "one"})
    other = create_app({"ARCHIVE_DATA": tmp_path / "two"})
    assert first.secret_key == again.secret_key != other.secret_key
    assert len(first.secret_key) >= 32
    key_file = tmp_path / "one" / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key not in inspect.getsource(archive)


def test_data_root_folders_live_under_the_data_root(app, tmp_path):
    assert app.config["ARCHIVE_DATA"] == tmp_path.resolve()
    assert app.instance_path == str(tmp_path.resolve() / "instance")
    assert app.extensions["collection"].root == tmp_path.resolve()
