"""The layer rule of docs/ARCHITECTURE.md, checked: import-linter's contracts (pyproject.toml), and that no view or
CLI command writes the index, builds a service, or calls a write of the domain modules past the services."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = sorted([ROOT / "archive" / "cli.py", *(ROOT / "archive" / "views").rglob("*.py")])

# what only the services may call: the index's writes, the ingesters' makers, and the domain modules' writes
INDEX_WRITES = {"update", "rebuild", "check", "repair", "updated", "check_later"}
BUILDERS = {"Ingester", "MediaIngester", "SearchIndex", "Indexer", "Documents", "Services"}
DOMAIN_WRITES = {
    "annotations": {"create", "edit", "delete", "from_jsonld", "import_collection"},
    "transcripts": {"correct_segment", "set_times", "replace"},
    "interviews": {"edit"},
    "tombstones": {"delete", "undelete", "purge"},
    "history": {"restore"},
    "backup": {"backup", "make_bag", "restore"},
    "migrations": {"migrate"},
    "segment_index": {"save"},
    "recordings": {"add", "replace"},
    "vocab": {"save", "save_entry", "add_surname_spelling"},
    "media": {"edit", "derive", "write_derivatives"},
    "sound": {"derive", "transcode"},
    "contributions": {
        "submit",
        "add_from_contributor",
        "withdraw",
        "hide_made_from",
        "ask",
        "describe",
        "decline",
        "approve",
        "approve_photos",
    },
}


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript):
        key = node.slice.value if isinstance(node.slice, ast.Constant) else "?"
        return f"{_dotted(node.value)}[{key}]"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    return "?"


def offences(path: Path, root: Path = ROOT) -> list[str]:
    """What in one module of the views or the CLI writes past the services."""
    found = []
    for call in _calls(path):
        name = _dotted(call.func)
        parts = name.split(".")
        where = f"{path.relative_to(root)}:{call.lineno} {name}"
        if parts[-1] in BUILDERS:
            found.append(f"{where}: builds a service or the index")
        elif parts[-1] in INDEX_WRITES and any(w in name for w in ("search", "index")):
            found.append(f"{where}: writes the index")
        elif len(parts) == 2 and parts[1] in DOMAIN_WRITES.get(parts[0], ()):
            found.append(f"{where}: writes past the services")
    return found


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_the_cli_only_call_services(path):
    assert offences(path) == []


def test_the_check_catches_what_it_forbids(tmp_path):
    """The rule above is not vacuous: the writes it forbids, written into a view, are each caught."""
    bad = tmp_path / "bad_view.py"
    bad.write_text(
        "def view():\n"
        "    current_app.extensions['search'].update(['abc'])\n"
        "    search_index().rebuild()\n"
        "    Ingester(collection(), gazetteer, 'me', 10)\n"
        "    annotations.create(collection(), 'abc', 0, 1, [], 'me')\n"
        "    contributions.approve(collection(), s, 'me', makers)\n"
        "    services().annotations.create('abc', 0, 1, [], 'me')\n",
        "utf-8",
    )
    found = offences(bad, tmp_path)
    assert len(found) == 5, found


def test_browser_tests_wait_on_functions_never_on_strings_the_page_evaluates():
    """Playwright polls a string expression with `eval` inside the page, which the pages' CSP (no 'unsafe-eval')
    refuses as soon as the condition is not met at once: a test that passes on a fast machine then fails in CI.
    Arrow functions are compiled outside the page's CSP."""
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for call in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "wait_for_function" and call.args:
                text = ast.unparse(call.args[0])
                if not re.match(r"f?['\"]\s*(\(\)|\w+)\s*=>", text):
                    found.append(f"{path.name}:{call.lineno}")
    assert found == []
