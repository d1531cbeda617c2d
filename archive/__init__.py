"""An oral-history archive: transcripts, photos and annotations kept as plain files, served by Flask."""

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import config as default_config
from .errors import ConfigError

REPOSITORY = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def templates_folder() -> Path:
    """Find the templates: inside the package where a wheel installed them, else the repository's own templates/.

    The templates live in the repository's top-level templates/ folder; the build ships them as archive/templates/
    (see pyproject.toml). A plain checkout or an editable install has no such folder beside this file, so the
    repository's is used. Flask needs a real folder, which a path beside the package always is.
    """
    installed = Path(__file__).resolve().parent / "templates"
    return installed if installed.is_dir() else REPOSITORY / "templates"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults from config.py, then ARCHIVE_* from the environment, then `test_config`."""
    app = Flask(__name__, template_folder=str(templates_folder()))
    app.config.from_object(default_config)
    app.config.update(settings_from_environment(os.environ))
    app.config.update(test_config or {})
    data = prepare_data_root(Path(app.config["ARCHIVE_DATA"]))
    app.config["ARCHIVE_DATA"] = data
    app.instance_path = str(data / "instance")
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or load_secret_key(Path(app.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["ARCHIVE_MAX_UPLOAD_MB"]) * 2**20
    # text fields of one form, held in memory: room for a story of 200,000 characters in any script, and its answers
    app.config["MAX_FORM_MEMORY_SIZE"] = (test_config or {}).get("MAX_FORM_MEMORY_SIZE", 8 * 2**20)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # the session cookie is written only when it changes: were every response to refresh it, a late answer for an
    # icon or a stylesheet would put back the cookie it was asked with, undoing a receipt granted in between
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    # a form's token lives as long as its session: a family may take an evening to write their story
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["ARCHIVE_HTTPS"])

    from . import accounts, i18n, images, indexing, jobs, services, views
    from .collection import Collection

    app.extensions["collection"] = Collection(data, lock_timeout=float(app.config["ARCHIVE_LOCK_TIMEOUT"]))
    app.extensions["image_limits"] = images.Limits.from_config(app.config)
    proxies = int(app.config["ARCHIVE_PROXIES"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    csrf.init_app(app)
    accounts.init_app(app)
    indexing.init_app(app, background=bool(app.config.get("INDEX_REPAIR_IN_BACKGROUND", True)))
    services.init_app(app)
    i18n.init_app(app)
    queue = jobs.init_app(app)
    if app.config.get("INDEX_REPAIR_IN_BACKGROUND", True):  # a server's index work goes to its job runner
        app.extensions["search"].on_damage = lambda: queue.run_soon("repair-index")
        app.extensions["indexer"].check_soon = lambda: queue.run_soon("check-index")
    app.extensions["services"].recordings.later = lambda interview_id, redactions, author: queue.submit(
        "derive-recordings", {"interview": interview_id, "redactions": redactions}, author
    )
    if app.config["ARCHIVE_INDEX_CHECK_AT_START"]:
        app.extensions["indexer"].check_later()
    views.init_app(app)
    return app


def settings() -> dict[str, object]:
    """List every ARCHIVE_* setting with its default."""
    return {k: v for k, v in vars(default_config).items() if k.startswith("ARCHIVE_")}


def settings_from_environment(environ) -> dict[str, object]:
    """Read ARCHIVE_* settings from the environment, converted to the type of their defaults."""
    found = {}
    for name, default in settings().items():
        if name not in environ:
            continue
        raw = environ[name]
        try:
            if isinstance(default, bool):
                if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off", ""):
                    raise ValueError(raw)
                found[name] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                found[name] = type(default)(raw) if not isinstance(default, str) else raw
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a valid {type(default).__name__}") from None
    return found


def prepare_data_root(data: Path) -> Path:
    """Make sure the data root and its instance folder exist and can be written, or say why not."""
    data = data.expanduser().resolve()
    if data.exists() and not data.is_dir():
        raise ConfigError(f"data root {data} is a file, not a folder")
    try:
        data.mkdir(parents=True, exist_ok=True)
        (data / "instance").mkdir(mode=0o700, exist_ok=True)  # accounts and the secret key: owner only
        probe = data / "instance" / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"data root {data} is not writable: {e.strerror or e}") from None
    return data


def load_secret_key(instance: Path) -> str:
    """Read the instance's secret key, making it on first use; every process of one archive shares it."""
    path = instance / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret-")
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # appears whole, and only once: a process that loses the race reads the winner's
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text("ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds no usable secret key; delete it to have a new one made")
    return key
