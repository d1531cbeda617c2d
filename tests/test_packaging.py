"""The archive as a release ships it: the sdist and the wheel built from it carry the templates, and an installed copy
serves pages without the repository.

The templates live in the repository's top-level templates/ folder, outside the package, and pyproject.toml maps them
into the package as archive/templates/. A mistake there shows only once the archive is installed for real (an
editable install and the test suite read the repository's own folder), so the slow test here builds the sdist, builds
the wheel from that sdist, installs the wheel into a new virtual environment and runs the app from it, in a folder
outside the repository.

The new environment gets no dependency from the network: the wheel is installed with --no-deps --no-index, and a .pth
file lists this environment's site-packages, where Flask and the rest are. Python does not read the .pth files of a
folder added that way, so this environment's editable install of archive (a .pth that installs an import finder) is
not active there, and the script checks that it is the installed copy that answered.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import REPOSITORY

import archive

SAMPLE = "1s12p03r"  # a public sample interview
SAMPLE_TITLE = "Pavel Kim, from Vladivostok to Ushtobe and Karaganda"
# Top-level folders of a working tree that are not source: git, builds, caches, and the data of the sample archive.
NOT_SOURCE = {".git", "build", "dist", ".pytest_cache", "index", "instance", "interviews", "media"}

CHECK = r"""
import json, sys
from pathlib import Path

import archive
from archive import create_app, templates_folder

venv, data, empty = (Path(arg).resolve() for arg in sys.argv[1:4])
found = {
    "archive_file": archive.__file__,
    "templates": str(templates_folder()),
    "editable_finder": [type(f).__name__ for f in sys.meta_path if "editable" in repr(f).lower()],
    "editable_modules": [name for name in sys.modules if "__editable__" in name],
}
app = create_app({"TESTING": True, "ARCHIVE_DATA": str(data)})
client = app.test_client()
for name, url in {
    "home": "/",
    "interview": "/interviews/" + sys.argv[4],
    "search": "/search?q=Karaganda",
    "css": "/static/css/archive.css",
    "russian_form": "/contribute/?lang=ru",
    "map": "/map",
}.items():
    response = client.get(url)
    found[name] = {"status": response.status_code, "text": response.get_data(as_text=True)}
empty_app = create_app({"TESTING": True, "ARCHIVE_DATA": str(empty)})
response = empty_app.test_client().get("/")
found["empty_home"] = {"status": response.status_code, "text": response.get_data(as_text=True)}
print(json.dumps(found))
"""


def run(*command, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def not_source(folder: str, names: list[str]) -> set[str]:
    """Leave out of the copy what a fresh clone would not have: virtual environments, caches, egg-info, data."""
    top = Path(folder) == REPOSITORY
    return {
        name
        for name in names
        if (top and name in NOT_SOURCE)
        or name == "__pycache__"
        or name.endswith(".egg-info")
        or (Path(folder, name) / "pyvenv.cfg").exists()
    }


def inside(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_every_module_of_the_package_is_listed_for_the_build():
    """pyproject.toml lists the packages by hand (a found list cannot map templates/): a new one must be added."""
    listed = set(tomllib.loads((REPOSITORY / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPOSITORY).parts) for init in (REPOSITORY / "archive").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages in pyproject.toml"


def test_a_checkout_uses_the_repository_templates():
    """Run from the repository (plain or editable), the app reads templates/ where the people we build for keep it."""
    assert archive.templates_folder() == REPOSITORY / "templates"


@pytest.mark.slow
def test_the_installed_wheel_serves_pages_outside_the_repository(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ARCHIVE_", "VIRTUAL_ENV"))}
    work = tmp_path / "work"  # where the installed copy runs: neither the repository nor a parent of it
    work.mkdir()

    # 1. Build as a release does, from a clean copy of the source: the sdist, then the wheel from the sdist (`build`
    # installs setuptools into its own build environment from the package index, as every build of a release does).
    source = tmp_path / "source"
    shutil.copytree(REPOSITORY, source, ignore=not_source)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source, cwd=work, env=env)
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")

    templates, package = (
        {
            path.relative_to(REPOSITORY).as_posix()
            for path in (REPOSITORY / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
        }
        for folder in ("templates", "archive")
    )
    with tarfile.open(sdist) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert templates <= in_sdist, sorted(templates - in_sdist)
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {"archive/" + name for name in templates} <= in_wheel, sorted({"archive/" + n for n in templates} - in_wheel)
    assert package <= in_wheel, sorted(package - in_wheel)  # modules, static/, vocab/ and translations/

    # 2. A new environment with the wheel alone installed; the dependencies are borrowed from this one.
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work, env=env)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=work,
        env=env,
    )
    site_packages = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=work, env=env).stdout.strip()
    )
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site_packages / "borrowed-dependencies.pth").write_text("".join(f"{path}\n" for path in ours))

    # 3. A data root holding one sample interview, indexed and checked by the installed command line; an empty one.
    data, empty = tmp_path / "data", tmp_path / "empty"
    shutil.copytree(REPOSITORY / "interviews" / SAMPLE, data / "interviews" / SAMPLE)
    run(venv / "bin" / "archive", "--data", data, "reindex", cwd=work, env=env)
    run(venv / "bin" / "archive", "--data", empty, "verify", cwd=work, env=env)

    # 4. The app of the installed copy, run from the working folder.
    script = work / "check.py"
    script.write_text(CHECK)
    found = json.loads(run(python, script, venv, data, empty, SAMPLE, cwd=work, env=env).stdout)

    assert inside(found["archive_file"], venv) and not inside(found["archive_file"], REPOSITORY), found["archive_file"]
    assert inside(found["templates"], venv), found["templates"]
    assert found["editable_finder"] == [] and found["editable_modules"] == []
    for name in ("home", "interview", "search", "css", "russian_form", "map", "empty_home"):
        assert found[name]["status"] == 200, (name, found[name]["text"][:2000])
    assert "Oral history archive" in found["home"]["text"] and "Oral history archive" in found["empty_home"]["text"]
    assert SAMPLE_TITLE in found["interview"]["text"]
    assert 'data-country="Kazakhstan"' in found["map"]["text"] and 'href="/places/ushtobe"' in found["map"]["text"]
    assert f"/interviews/{SAMPLE}" in found["search"]["text"]
    assert "О рассказчике" in found["russian_form"]["text"]
