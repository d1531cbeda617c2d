"""Several server processes (`archive serve --workers N`), by gunicorn.

Waitress serves one process, and in one process Python runs one thread at a time, so one process uses one core
however many threads it has. Gunicorn forks N processes, each with its own app made after the fork (no thread, open
index or database connection is inherited), each answering with `threads` threads. What the processes share lives
on disk and is safe across them: the collection's folder locks, the index's write lock and its searchers reopened
when another process commits, the jobs' lock (one process runs jobs at a time), the accounts database (sessions,
tokens, sign-in limits) and the secret key in the instance folder.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Archive(BaseApplication):
    def __init__(self, settings: dict, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # noqa: ANN201 - a WSGI app, in each process after the fork
        from . import create_app

        app = create_app(self.settings)
        app.extensions["jobs"].start_worker()  # every process offers; the jobs' lock lets one run them at a time
        return app


def run_processes(settings: dict, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until stopped (Ctrl+C or SIGTERM), with `workers` processes of `threads` threads each."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "preload_app": False,
        "timeout": 120,  # a big upload or export may keep a thread busy; the default 30 s would kill its process
        "graceful_timeout": 30,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "archive",
        "control_socket_disable": True,  # no control socket in the home folder: stop it with a signal
    }
    _Archive(settings, options).run()
