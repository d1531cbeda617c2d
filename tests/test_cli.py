"""The `archive` command: bad input gets one clear line on stderr and a non-zero exit."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PASSWORD


def one_line_error(result):
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_user_add_reads_the_password_from_stdin(runner):
    result = runner("user", "add", "anna", "--role", "historian", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert runner("user", "list").stdout == "anna\thistorian\tactive\tno tokens\n"


def test_unknown_role(runner):
    line = one_line_error(runner("user", "add", "anna", "--role", "boss", input=PASSWORD + "\n"))
    assert line == "Error: unknown role 'boss': choose admin, historian or researcher"


def test_short_password(runner):
    line = one_line_error(runner("user", "add", "anna", "--role", "historian", input="eleven char\n"))
    assert line == "Error: password is too short: use at least 12 characters"
    assert runner("user", "list").stdout == ""


def test_no_password_on_stdin(runner):
    line = one_line_error(runner("user", "add", "anna", "--role", "historian", input=""))
    assert "no password given" in line


def test_token_is_printed_on_the_last_line(runner):
    runner("user", "add", "anna", "--role", "researcher", input=PASSWORD + "\n")
    first = runner("user", "token", "anna").stdout.splitlines()[-1]
    second = runner("user", "token", "anna").stdout.splitlines()[-1]
    assert first != second and len(first) >= 40
    assert "no account named 'nobody'" in one_line_error(runner("user", "token", "nobody"))


def unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions; /proc refuses even root a new folder
        return Path("/proc/archive-data-root")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "data"


def test_data_root_that_is_not_writable(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    result = CliRunner().invoke(cli, ["--data", str(unwritable_folder(tmp_path)), "verify"])
    assert "is not writable" in one_line_error(result)


def test_data_root_that_is_a_file(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    (tmp_path / "a-file").write_text("x")
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "a-file"), "verify"])
    assert "is a file, not a folder" in one_line_error(result)


def test_installed_console_script(tmp_path):
    """Through the real entry point, as a person at a terminal runs it."""
    archive = shutil.which("archive", path=str(Path(sys.executable).parent)) or pytest.fail("archive not installed")
    env = {**os.environ, "ARCHIVE_DATA": str(tmp_path)}
    ok = subprocess.run(
        [archive, "user", "add", "anna", "--role", "admin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout == "Created admin account anna.\n"
    bad = subprocess.run(
        [archive, "user", "add", "boris", "--role", "editor"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stderr == "Error: unknown role 'editor': choose admin, historian or researcher\n"
