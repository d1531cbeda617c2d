"""`archive verify` reads every byte: a flipped byte, a missing or an unlisted file is named, and the exit is 1."""

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FILES = ["interview.json", "segments.json", "original/transcript.txt", "versions.json"]


@pytest.fixture
def folder(collection, tmp_path):
    folder_id = collection.create(
        "interviews",
        {"interview.json": b'{"title": "t"}', "segments.json": b"[]", "original/transcript.txt": b"A: hi\n" * 1000},
        "anna",
    )
    version = collection.read("interviews", folder_id, "segments.json").version
    collection.write("interviews", folder_id, {"segments.json": b"[{}]"}, "boris", {"segments.json": version})
    return tmp_path / "interviews" / folder_id


def stored_files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != ".lock")


def test_clean_collection_verifies(runner, folder):
    result = runner("verify")
    assert result.exit_code == 0, result.output
    assert "All files of 1 folder match" in result.output


def test_flipping_one_byte_in_any_stored_file_is_found(runner, folder):
    files = [f for f in stored_files(folder) if f != "manifest-sha256.txt"]
    assert len(files) >= 5 and any(f.startswith("history/") for f in files)
    for rel in files:
        path = folder / rel
        original = path.read_bytes()
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0x01  # same size, same mtime granularity: only a full digest sees it
        path.write_bytes(bytes(flipped))
        result = runner("verify")
        assert result.exit_code == 1, rel
        assert f"changed: interviews/{folder.name}/{rel}" in result.stdout.splitlines(), (rel, result.output)
        assert "verify found 1 problem" in result.stderr
        path.write_bytes(original)
    assert runner("verify").exit_code == 0


def test_flipping_a_byte_in_the_manifest_is_found(runner, folder):
    manifest = folder / "manifest-sha256.txt"
    text = manifest.read_text()
    manifest.write_text(("1" if text[0] != "1" else "2") + text[1:])
    result = runner("verify")
    assert result.exit_code == 1
    assert "changed: interviews/" in result.stdout


def test_missing_and_unlisted_files_are_named_with_their_folder(runner, folder):
    (folder / "segments.json").unlink()
    (folder / "original" / "stray.txt").write_text("not in the manifest")
    result = runner("verify")
    assert result.exit_code == 1
    assert f"missing: interviews/{folder.name}/segments.json" in result.stdout
    assert f"unlisted: interviews/{folder.name}/original/stray.txt" in result.stdout
    assert "verify found 2 problems" in result.stderr


def test_a_folder_without_manifest_is_reported(runner, folder):
    (folder / "manifest-sha256.txt").unlink()
    result = runner("verify")
    assert result.exit_code == 1
    assert f"no manifest: interviews/{folder.name}/manifest-sha256.txt" in result.stdout


def run_verify(root, stderr):
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [archive, "--data", str(root), "verify"], stdout=subprocess.PIPE, stderr=stderr, timeout=120, check=False
    )


def test_verify_shows_its_progress_on_a_terminal_and_nothing_in_a_pipe(folder):
    root = folder.parent.parent
    piped = run_verify(root, subprocess.PIPE)
    assert piped.returncode == 0 and piped.stderr == b"" and b"match their manifests" in piped.stdout
    main, terminal = pty.openpty()
    try:
        shown = run_verify(root, terminal)
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main)
    assert shown.returncode == 0 and b"Verifying" in drawn and b"1/1" in drawn
