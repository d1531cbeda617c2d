"""The `archive` command. It calls the same services as the web; a refusal is one line on stderr and exit status 1."""

from __future__ import annotations

import datetime
import io
import json
import os
import sys
from contextlib import suppress
from pathlib import Path

import click
from flask import Flask

from .errors import ArchiveError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ArchiveError as e:
            raise click.ClickException(" ".join(str(e).split())) from e


class _State:
    def __init__(self, data: Path | None):
        self.data = data
        self._app: Flask | None = None

    def app(self, serving: bool = False) -> Flask:
        if self._app is None:
            from . import create_app

            settings = {"ARCHIVE_DATA": self.data} if self.data else {}
            if not serving:  # only a server repairs the index in the background; a command may exit at any time
                settings["ARCHIVE_INDEX_CHECK_AT_START"] = False
                settings["INDEX_REPAIR_IN_BACKGROUND"] = False
            self._app = create_app(settings)
        return self._app


def _app(serving: bool = False) -> Flask:
    return click.get_current_context().find_object(_State).app(serving)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    help="Data root holding interviews/, media/, index/ (default: $ARCHIVE_DATA, else the current folder).",
)
@click.pass_context
def cli(ctx: click.Context, data: Path | None) -> None:
    """Keep, check and serve an oral-history archive."""
    ctx.obj = _State(data)


def _allow_open_files() -> None:
    """Raise this process's limit of open files to what the system allows it: each thread's searcher keeps every
    segment's files open (segments are plain files, see search/index.py), and a soft limit of 1,024 is soon met.
    Processes started after this (gunicorn's) inherit it."""
    try:
        import resource
    except ImportError:  # not a POSIX system: nothing to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@cli.command()
@click.option("--host", help="Address to listen on (default: ARCHIVE_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: ARCHIVE_PORT, 5000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Server processes (default: ARCHIVE_WORKERS, 1).")
@click.option("--threads", type=click.IntRange(1, 256), help="Threads of each process (default: ARCHIVE_THREADS, 8).")
@click.option("--dev", is_flag=True, help="Use Flask's debug server, which reloads on code changes. Never in public.")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None, dev: bool) -> None:
    """Serve the archive over HTTP (waitress; gunicorn for several processes; Flask's debug server with --dev)."""
    if not dev:
        import logging

        # one handler for everything, set before the app exists (Flask then adds none of its own): the archive's
        # messages, the start-up index check's among them, and waitress's are each written once, alike
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from . import settings, settings_from_environment

    _allow_open_files()
    configured = {**settings(), **settings_from_environment(os.environ)}
    workers = workers or int(configured["ARCHIVE_WORKERS"])
    if workers > 1 and not dev:
        from . import serving

        data = click.get_current_context().find_object(_State).data
        host = host or str(configured["ARCHIVE_HOST"])
        port = port or int(configured["ARCHIVE_PORT"])
        threads = threads or int(configured["ARCHIVE_THREADS"])
        where = Path(data or configured["ARCHIVE_DATA"]).absolute()
        click.echo(
            f"Serving {where} on http://{host}:{port}/ with {workers} processes of {threads} threads (Ctrl+C stops)",
            err=True,
        )
        # each process makes its own app after the fork: nothing with threads or open files is forked
        serving.run_processes({"ARCHIVE_DATA": data} if data else {}, host, port, workers, threads)
        return
    app = _app(serving=True)
    if not dev or os.environ.get("WERKZEUG_RUN_MAIN") == "true":  # not in the reloader's watching parent
        app.extensions["jobs"].start_worker()
    host = host or app.config["ARCHIVE_HOST"]
    port = port or int(app.config["ARCHIVE_PORT"])
    click.echo(f"Serving {app.config['ARCHIVE_DATA']} on http://{host}:{port}/ (Ctrl+C stops)", err=True)
    if dev:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress

        threads = threads or int(app.config["ARCHIVE_THREADS"])
        waitress.serve(app, host=host, port=port, threads=threads, ident="archive")


INGEST_INDEX_BATCH = 50  # interviews per index commit in `archive ingest` (bench/ingest.py measures it)


@cli.command()
def verify() -> None:
    """Recompute every checksum; list each changed, missing or unlisted file; exit 1 if any."""
    app = _app()
    collection = app.extensions["collection"]
    found = []
    # a bar on a terminal, like ingest's; nothing but the findings when the output goes to a file or a pipe
    with click.progressbar(
        length=len(collection.entries()),
        label="Verifying",
        file=sys.stderr,
        show_pos=True,
        hidden=not sys.stderr.isatty(),
    ) as bar:
        found.extend(collection.verify(progress=bar.update))
    for problem in found:
        click.echo(str(problem))
    problems = len(found)
    from .collection import KINDS

    folders = sum(len(collection.ids(kind)) for kind in KINDS)
    if problems:
        raise ArchiveError(
            f"verify found {problems} problem{'s' if problems > 1 else ''} in {app.config['ARCHIVE_DATA']}"
        )
    click.echo(f"All files of {folders} folder{'' if folders == 1 else 's'} match their manifests.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--metadata",
    "manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV with a header row; at least file,title,narrator,interviewer,date,village,surnames,language,"
    "access (lists separated by ';'); image rows may add kind,institution,accession,creator,caption.",
)
@click.option("--author", default=None, help="Name recorded with each new folder (default: your login name).")
def ingest(paths: tuple[Path, ...], manifest: Path | None, author: str | None) -> None:
    """Ingest transcripts (txt, vtt, srt, OHMS xml, docx, odt, pdf) with their recordings (sound or video, several parts
    named in the manifest's audio and video columns, separated by ';'), and images (JPEG, PNG, TIFF, WebP, HEIC),
    each told by its content."""
    import getpass

    from . import images, media
    from . import ingest as ingesting

    app = _app()
    rows = ingesting.read_manifest(manifest) if manifest else None
    pairs, outcomes = ingesting.plan(list(paths), rows, manifest)
    author = author or getpass.getuser()
    services = app.extensions["services"]
    ingester, items = services.ingest.ingester(author, index_batch=INGEST_INDEX_BATCH), services.media.ingester(author)
    with click.progressbar(
        pairs,
        label="Ingesting",
        file=sys.stderr,
        show_pos=True,
        item_show_func=lambda pair: pair[0].name if pair else "",
    ) as bar:
        for path, audio in bar:
            row = rows.get(path.name) if rows is not None else None
            if rows is not None and row is None:
                outcomes.append(ingesting.Outcome(path.name, "failed", reason="has no row in the manifest"))
            elif images.is_image(ingesting.head(path)):
                outcomes.append(items.ingest(path, path.name, media.from_csv_row(row["_row"]) if row else None))
            else:
                raw = {k: v for k, v in row.items() if not k.startswith("_")} if row else None
                outcomes.append(ingester.ingest_file(path, raw, audio))
    if not ingester.index_pending():
        click.echo(
            "note: the search index could not follow every file; the next check of the index (at the next start of "
            "the server, or archive reindex) catches them up",
            err=True,
        )
    for outcome in outcomes:
        if outcome.status == "ingested":
            click.echo(f"ingested   {outcome.source} -> {outcome.where}")
            for note in outcome.notes:
                click.echo(f"           note: {note}")
        elif outcome.status in ("duplicate", "skipped"):
            click.echo(f"skipped    {outcome.source}: {outcome.reason}")
        else:
            click.echo(f"FAILED     {outcome.source}: {outcome.reason}")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ingested", "duplicate", "failed", "skipped")}
    summary = f"{counts['ingested']} ingested, {counts['duplicate']} already present, {counts['failed']} failed"
    if counts["skipped"]:
        rows_skipped = "row" if counts["skipped"] == 1 else "rows"
        summary += f"; {counts['skipped']} manifest {rows_skipped} for files not given skipped"
    if counts["failed"]:
        raise ArchiveError(summary)
    click.echo(summary)


@cli.command()
@click.argument("item_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Make every derivative again, even those made with today's settings.")
def derive(item_ids: tuple[str, ...], force: bool) -> None:
    """Make the display copies and thumbnails of media items, and the streaming and public copies of interviews'
    recordings (all, or the items and interviews named), that are missing or stale."""
    import getpass

    app = _app()
    services = app.extensions["services"]
    collection = services.collection
    if item_ids:
        named = [("interviews" if collection.exists("interviews", i) else "media", i) for i in item_ids]
    else:
        named = [("media", i) for i in collection.ids("media")] + [
            ("interviews", i) for i in collection.ids("interviews")
        ]
    made = failed = 0
    with click.progressbar(named, label="Deriving", file=sys.stderr, show_pos=True) as bar:
        for kind, folder_id in bar:
            try:
                if kind == "media":
                    made += services.media.derive(folder_id, getpass.getuser(), force)
                else:
                    made += bool(services.recordings.derive(folder_id, force))
            except ArchiveError as e:
                failed += 1
                click.echo(f"FAILED     {kind}/{folder_id}: {e}", err=True)
    summary = f"{made} made, {len(named) - made - failed} already current, {failed} failed"
    if failed:
        raise ArchiveError(summary)
    click.echo(summary)


@cli.command()
@click.argument("interview_id")
@click.option("--accept", is_flag=True, help="Save the proposed times as a new version of the transcript.")
@click.option("--author", default=None, help="Name recorded with the new version (default: your login name).")
def align(interview_id: str, accept: bool, author: str | None) -> None:
    """Find where each passage of an interview's transcript is spoken in its recording (offline forced alignment,
    the optional `align` extra) and print the proposed times, kept for the interview's alignment page; --accept
    saves them instead. Passages the aligner is unsure
    of are marked "unsure": check them by ear."""
    import getpass

    transcripts = _app().extensions["services"].transcripts
    with click.progressbar(
        length=100, label="Aligning", file=sys.stderr, show_pos=True, hidden=not sys.stderr.isatty()
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.pos)

        if accept:
            proposal, version = transcripts.propose_alignment(interview_id, progress=progress)
        else:  # kept for the interview's alignment page, where it can be heard, adjusted and accepted
            proposal = transcripts.align(interview_id, author or getpass.getuser(), progress=progress).proposal
    segments = {
        s["n"]: s
        for s in _app().extensions["services"].collection.read("interviews", interview_id, "segments.json").json()
    }
    for timing in proposal.timings:
        words = " ".join(str(segments.get(timing.n, {}).get("text") or "").split())
        first = words if len(words) <= 60 else words[:59].rstrip() + "…"
        mark = "unsure" if timing.unsure else "      "
        click.echo(f"{timing.n:>5}  {_clock(timing.start)}  {_clock(timing.end)}  {mark}  {first}")
    unsure = len(proposal.unsure)
    click.echo(
        f"{len(proposal.timings)} passages aligned, {unsure} unsure (score {proposal.score:.2f}; lower is surer)",
        err=True,
    )
    if accept:
        transcripts.accept_alignment(interview_id, proposal, author or getpass.getuser(), version)
        click.echo(f"Saved the times as a new version of interviews/{interview_id}/segments.json.")
    else:
        click.echo(
            f"Nothing saved. The proposal is kept for the interview's alignment page (/interviews/{interview_id}"
            "/alignment), where it can be heard and adjusted; or run again with --accept to save these times.",
            err=True,
        )


def _clock(seconds: float) -> str:
    """Seconds as h:mm:ss.ss."""
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{rest:05.2f}"


@cli.command()
def reindex() -> None:
    """Rebuild the search index from the collection (the index is derived and may be deleted at any time)."""
    app = _app()
    services = app.extensions["services"]
    collection = services.collection
    count, items = len(collection.ids("interviews")), len(collection.ids("media"))
    with click.progressbar(length=count + items, label="Indexing", file=sys.stderr, show_pos=True) as bar:
        services.rebuild_index(progress=bar.update)
    click.echo(
        f"Indexed {count} interview{'' if count == 1 else 's'} and {items} media item{'' if items == 1 else 's'}."
    )


@cli.group(invoke_without_command=True)
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """List background jobs, newest first (id, kind, state, progress, who asked, when); or act on them."""
    if ctx.invoked_subcommand is not None:
        return
    found = _app().extensions["jobs"].list()
    for job in found:
        progress = f"{job.done}/{job.total if job.total is not None else '?'}"
        times = "\t".join(_moment(t) for t in (job.created, job.started, job.finished))
        click.echo(f"{job.id}\t{job.kind}\t{job.state}\t{progress}\t{job.by or '-'}\t{times}\t{job.message}")
    if not found:
        click.echo("No jobs.")


@jobs.command("submit")
@click.argument("kind")
@click.option("--by", default=None, help="Name recorded as who asked (default: your login name).")
def jobs_submit(kind: str, by: str | None) -> None:
    """Queue a job of KIND (reindex) for a running server, or `archive jobs run`, to do."""
    import getpass

    job = _app().extensions["jobs"].submit(kind, {}, by or getpass.getuser())
    click.echo(f"Job {job.id} ({job.kind}) is {job.state}.")


@jobs.command("cancel")
@click.argument("job_id", type=int)
def jobs_cancel(job_id: int) -> None:
    """Cancel a queued job, or ask a running one to stop at its next safe point."""
    import getpass

    job = _app().extensions["jobs"].cancel(job_id, getpass.getuser())
    if job.state == "cancelled":
        click.echo(f"Cancelled job {job.id} ({job.kind}).")
    else:
        click.echo(f"Job {job.id} ({job.kind}) is asked to stop; it stops at its next safe point.")


@jobs.command("run")
def jobs_run() -> None:
    """Run queued jobs in the foreground until none is left (waiting while a server is running some)."""
    ran = (
        _app()
        .extensions["jobs"]
        .run_pending(
            wait=True, on_wait=lambda: click.echo("Another process is running jobs; waiting for it.", err=True)
        )
    )
    for job in ran:
        click.echo(f"Job {job.id} ({job.kind}) {job.state}: {job.message}")
    failed = [job for job in ran if job.state == "failed"]
    if failed:
        raise ArchiveError("; ".join(f"job {job.id} ({job.kind}) failed: {job.message}" for job in failed))
    if not ran:
        click.echo("No job was waiting.")


@cli.group()
def annotations() -> None:
    """Export and import an interview's annotations (W3C Web Annotation JSON-LD)."""


@annotations.command("export")
@click.argument("interview_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write (default: standard output).",
)
def annotations_export(interview_id: str, output: Path | None) -> None:
    """Write an interview's annotations as an AnnotationCollection."""
    from . import annotations as annotating

    collection = _app().extensions["collection"]
    text = json.dumps(annotating.export(collection, interview_id), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}.", err=True)


@annotations.command("import")
@click.argument("interview_id")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--author", default=None, help="Name recorded with the change (default: your login name).")
def annotations_import(interview_id: str, source: Path, author: str | None) -> None:
    """Take back an AnnotationCollection: annotations with a known id are replaced, others added; all or nothing."""
    import getpass

    app = _app()
    try:
        document = json.loads(source.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ArchiveError(f"{source} is not JSON: {error}") from None
    counts = app.extensions["services"].annotations.import_collection(
        interview_id, document, author or getpass.getuser()
    )
    click.echo(f"{counts['added']} added, {counts['replaced']} replaced in interviews/{interview_id}.")


@cli.group()
def translations() -> None:
    """Keep the page catalogues (archive/translations/<lang>/LC_MESSAGES/messages.po) in step with the code."""


@translations.command("update")
def translations_update() -> None:
    """Add the messages the code and templates now mark to every catalogue (untranslated), and drop gone ones."""
    from . import i18n, templates_folder

    for lang, lacking in i18n.update(templates_folder()).items():
        click.echo(f"{lang}: {lacking} message{'' if lacking == 1 else 's'} to translate")


@translations.command("compile")
def translations_compile() -> None:
    """Compile every catalogue's .po into the .mo the archive reads (both are kept in the repository)."""
    from . import i18n

    for path in i18n.compile_all():
        click.echo(f"Wrote {path.relative_to(i18n.CATALOGUES.parent)}")


@cli.group()
def user() -> None:
    """Manage accounts (admins, historians, researchers)."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help="admin, historian or researcher.")
def user_add(name: str, role: str) -> None:
    """Create an account; the password is asked for, or read from the first line of stdin."""
    from . import accounts

    with _app().app_context():
        accounts.check_account(name, role)
        password = _read_password()
        accounts.add_user(name, role, password)
    click.echo(f"Created {role} account {name}.")


@user.command("token")
@click.argument("name")
@click.option(
    "--days", type=click.IntRange(min=1), default=365, show_default=True, help="Days until the token stops working."
)
def user_token(name: str, days: int) -> None:
    """Issue a new API token for an account and print it on the last line (it is shown only once)."""
    from . import accounts

    with _app().app_context():
        token = accounts.new_token(name, days)
        expires = _day(accounts.now() + days * 86400)
    click.echo(f"New API token for {name}, valid until {expires}; it is stored hashed and will not be shown again:")
    click.echo(token)


@user.command("tokens")
@click.argument("name")
def user_tokens(name: str) -> None:
    """List an account's API tokens by their first characters, with when each was made and expires."""
    from . import accounts

    with _app().app_context():
        found, moment = accounts.tokens(name), accounts.now()
    for token in found:
        state = "expired" if token.expires is not None and token.expires <= moment else "live"
        click.echo(f"{token.prefix}\tmade {_day(token.created)}\texpires {_day(token.expires)}\t{state}")
    if not found:
        click.echo(f"{name} has no API tokens.")


@user.command("revoke")
@click.argument("name")
@click.argument("prefix", required=False)
def user_revoke(name: str, prefix: str | None) -> None:
    """Revoke an account's API tokens: all of them, or the one beginning with PREFIX (as `user tokens` lists; put
    `--` before a PREFIX that begins with "-", as tokens made before 2026-12 may)."""
    from . import accounts

    with _app().app_context():
        count = accounts.revoke(name, prefix)
    click.echo(f"Revoked {count} token{'' if count == 1 else 's'} of {name}.")


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens stop working at once."""
    from . import accounts

    with _app().app_context():
        accounts.set_disabled(name, True)
    click.echo(f"Disabled {name}; `archive user enable {name}` undoes it.")


@user.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """Enable a disabled account again."""
    from . import accounts

    with _app().app_context():
        accounts.set_disabled(name, False)
    click.echo(f"Enabled {name}.")


@user.command("list")
def user_list() -> None:
    """List accounts with their roles, whether disabled, and their live API tokens."""
    from . import accounts

    with _app().app_context():
        for account in accounts.accounts():
            state = f"disabled {_day(account.disabled)}" if account.disabled else "active"
            tokens = (
                f"{account.tokens} token{'' if account.tokens == 1 else 's'}, first expires {_day(account.next_expiry)}"
                if account.tokens
                else "no tokens"
            )
            click.echo(f"{account.user.name}\t{account.user.role}\t{state}\t{tokens}")


def _day(moment: float | None) -> str:
    """A stored time as the day it falls on (UTC), or "never"."""
    if moment is None:
        return "never"
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).date().isoformat()


def _moment(moment: float | None) -> str:
    """A stored time to the second, in UTC, or "-"."""
    if moment is None:
        return "-"
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ArchiveError("no password given: type it when asked, or pass it on the first line of standard input")
    return line


# --- history (issue 16): the audit log -----------------------------------------------------------------------------


@cli.command("log")
@click.option("--record", default=None, help="Only this record: KIND/ID (interviews/abc12345) or a bare ID.")
@click.option("--author", default=None, help="Only changes by this person (names matched as the archive folds them).")
@click.option("--action", default=None, help="Only this action: created, edited, deleted, restored, purged, ...")
@click.option("--since", default=None, help="From this day (YYYY-MM-DD), included.")
@click.option("--until", default=None, help="To this day (YYYY-MM-DD), included.")
def log(record: str | None, author: str | None, action: str | None, since: str | None, until: str | None) -> None:
    """Print the audit log, oldest first: time, author, action, record and files, tab separated."""
    found = (
        _app().extensions["services"].history.log(record=record, author=author, action=action, since=since, until=until)
    )
    for entry in found:
        files = ", ".join(f"{name} {change}" for name, change in entry.files.items()) or "-"
        click.echo("\t".join([entry.time, entry.author, entry.action or "-", entry.record, files]))


# --- deleting and purging (issue 16: tombstones) -------------------------------------------------------------------


@cli.command("delete")
@click.argument("kind", type=click.Choice(["interviews", "media"]))
@click.argument("record_id")
@click.option("--reason", default="", help="Why it is deleted; readers who could open it see this, not who.")
@click.option("--author", default=None, help="Name recorded with the change (default: your login name).")
def delete_record(kind: str, record_id: str, reason: str, author: str | None) -> None:
    """Delete an interview or a media item as a tombstone: it leaves every page, search and harvest; its address
    answers 410 Gone to those who could read it; `archive undelete` brings it back."""
    import getpass

    done = _app().extensions["services"].tombstones.delete(kind, record_id, reason, author or getpass.getuser())
    click.echo(f"Deleted {done.ref}; `archive undelete {kind} {record_id}` brings it back.")


@cli.command("undelete")
@click.argument("kind", type=click.Choice(["interviews", "media"]))
@click.argument("record_id")
@click.option("--author", default=None, help="Name recorded with the change (default: your login name).")
def undelete_record(kind: str, record_id: str, author: str | None) -> None:
    """Bring back a deleted (not purged) interview or media item as it was."""
    import getpass

    done = _app().extensions["services"].tombstones.undelete(kind, record_id, author or getpass.getuser())
    click.echo(f"Brought back {done.ref}.")


@cli.command("purge")
@click.argument("record_id")
@click.option("--confirm", is_flag=True, help="Really erase it (without this, only say what would go).")
@click.option("--author", default=None, help="Name recorded in the audit log (default: your login name).")
def purge_record(record_id: str, confirm: bool, author: str | None) -> None:
    """Erase a deleted interview or media item for good (a legal takedown), keeping only its tombstone: its files,
    history, derived copies, index entries and its details in the audit log. Backups made before still hold it."""
    import getpass

    from . import tombstones

    services = _app().extensions["services"]
    record = tombstones.find(services.collection, record_id)
    if record.purged and not tombstones.unfinished(services.collection, record.kind, record_id):
        raise ArchiveError(f"{record.ref} is already purged")
    going = tombstones.what_goes(services.collection, record.kind, record_id)
    click.echo(
        f"WARNING: purging {record.ref} erases it for good; nothing in this archive can bring it back. This is an "
        "administrator's operation (a legal takedown). Backups made earlier still hold it.",
        err=True,
    )
    click.echo(f"{len(going)} file{'' if len(going) == 1 else 's'} would go:", err=True)
    for rel in going:
        click.echo(f"  {rel}", err=True)
    if not confirm:
        raise ArchiveError(f"nothing purged: run `archive purge {record_id} --confirm` to erase {record.ref}")
    services.tombstones.purge(record.kind, record_id, author or getpass.getuser())
    click.echo(f"Purged {record.ref}: only its tombstone is kept.")


# --- researchers' requests for access (issue 16) -------------------------------------------------------------------


@cli.group("requests", invoke_without_command=True)
@click.option("--waiting", is_flag=True, help="Only the requests that wait for a decision.")
@click.pass_context
def access_requests(ctx: click.Context, waiting: bool) -> None:
    """Researchers' requests for access to records kept for staff: list them (waiting ones first), grant or refuse."""
    if ctx.invoked_subcommand is not None:
        return
    app = _app()
    with app.app_context():
        listed = app.extensions["services"].access_requests.list()
    for request in listed:
        if waiting and request.state != "asked":
            continue
        state = request.state + (f" until {request.until}" if request.until else "")
        if request.decided_by:
            state += f" by {request.decided_by} {_moment(request.decided)}"
        click.echo(f"{request.id}\t{request.record}\t{request.user.name}\t{_moment(request.asked)}\t{state}")
        click.echo(f"\treason: {request.reason}")
        if request.note:
            click.echo(f"\tnote: {request.note}")


@access_requests.command("grant")
@click.argument("number", type=int)
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The last day it opens.")
@click.option("--note", default="", help="Shown to the researcher.")
@click.option("--author", default=None, help="Name recorded with the decision (default: your login name).")
def access_requests_grant(number: int, until: datetime.datetime | None, note: str, author: str | None) -> None:
    """Grant request NUMBER: its record opens to the account that asked (until the end of --until, if given)."""
    import getpass

    app = _app()
    with app.app_context():
        done = app.extensions["services"].access_requests.grant(
            number, author or getpass.getuser(), until.date() if until else None, note
        )
    click.echo(f"Granted {done.record} to {done.user.name}" + (f" until {done.until}." if done.until else "."))


@access_requests.command("refuse")
@click.argument("number", type=int)
@click.option("--note", default="", help="Shown to the researcher.")
@click.option("--author", default=None, help="Name recorded with the decision (default: your login name).")
def access_requests_refuse(number: int, note: str, author: str | None) -> None:
    """Refuse request NUMBER (the note, if any, is shown to the researcher)."""
    import getpass

    app = _app()
    with app.app_context():
        done = app.extensions["services"].access_requests.refuse(number, author or getpass.getuser(), note)
    click.echo(f"Refused {done.user.name}'s request for {done.record}.")


# --- backup, restore and migration: BagIt bags (archive/backup.py) and old schemas (archive/migrations.py) ----------


@cli.command()
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
def backup(dest: Path) -> None:
    """Make a BagIt bag of the whole collection in the folder DEST, while the archive may be running (the index and
    the derived copies are left out: they are rebuilt). Keep the bag as safely as the server: it holds the accounts'
    password hashes."""
    backups = _app().extensions["services"].backups
    with click.progressbar(
        length=1, label="Backing up", file=sys.stderr, show_pos=True, hidden=not sys.stderr.isatty()
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        made = backups.backup(dest, progress=progress)
    click.echo(f"Made and checked the bag {made}.")


@cli.command()
@click.argument("bag", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to restore into, empty or new (default: the data root, which must hold no collection).",
)
@click.pass_context
def restore(ctx: click.Context, bag: Path, into: Path | None) -> None:
    """Check the bag BAG fully (every file against the bag's manifests and each folder's own), then copy it into an
    empty data root and rebuild the search index. A bag that fails a check is refused and nothing is written."""
    from . import backup as bags

    bags.check(bag)  # before anything is made on disk, the app's folders included
    state = ctx.find_object(_State)
    if into is not None:
        state.data = into
    target = Path(into or state.data or os.environ.get("ARCHIVE_DATA") or ".")
    if not bags.is_empty(target):
        raise ArchiveError(f"{target} already holds a collection; restore into an empty folder with --into FOLDER")
    services = _app().extensions["services"]
    documents = sum(1 for kind in ("interviews", "media") for p in (bag / "data" / kind).glob("*") if p.is_dir())
    with click.progressbar(
        length=max(documents, 1), label="Indexing", file=sys.stderr, show_pos=True, hidden=not sys.stderr.isatty()
    ) as bar:
        counts = services.backups.restore(bag, progress=bar.update, checked=True)
    said = ", ".join(f"{count} {kind}" for kind, count in counts.items()) or "nothing"
    click.echo(f"Restored {said} into {services.collection.root}, and rebuilt its search index.")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Say what would be upgraded; write nothing.")
@click.option("--author", default=None, help="Name recorded with each upgrade (default: your login name).")
def migrate(dry_run: bool, author: str | None) -> None:
    """Upgrade every record written in an older schema to this archive's, step by step, each as a new version (the
    old one kept in its history). A record of a newer schema is refused and left as it is."""
    import getpass

    outcomes = _app().extensions["services"].backups.migrate(author or getpass.getuser(), dry_run)
    refused = [o for o in outcomes if o.state == "refused"]
    for outcome in outcomes:
        if outcome.state == "refused":
            click.echo(f"{outcome.ref}\trefused: {outcome.reason}")
        else:
            click.echo(f"{outcome.ref}\t{outcome.state}: schema {outcome.before} to {outcome.after}")
    upgraded = len(outcomes) - len(refused)
    verb = "would be upgraded" if dry_run else "upgraded"
    click.echo(f"{upgraded} record{'' if upgraded == 1 else 's'} {verb}.")
    if refused:
        raise ArchiveError(
            f"{len(refused)} record{'' if len(refused) == 1 else 's'} refused, left as they are:"
            f" {', '.join(o.ref for o in refused)}"
        )


# --- the CSV sheet of every record (issue 16, "csv") ------------------------------------------------------------


@cli.group("export")
def export_group() -> None:
    """Write the archive's records out."""


@export_group.command("csv")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="File to write (default: stdout)."
)
def export_csv(out: Path | None) -> None:
    """Write every interview and item (deleted ones left out) as one CSV sheet: UTF-8 with a BOM, CRLF lines."""
    services = _app().extensions["services"]
    if out is None:
        text = io.StringIO(newline="")
        services.spreadsheets.export(text)
        sys.stdout.flush()
        sys.stdout.buffer.write(text.getvalue().encode("utf-8"))  # the bytes as written: BOM and CRLF kept
        sys.stdout.buffer.flush()
        return
    with open(out, "w", encoding="utf-8", newline="") as f:
        count = services.spreadsheets.export(f)
    click.echo(f"Wrote {count} records to {out}.", err=True)


@export_group.command("bag")
@click.argument("ids", nargs=-1)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="The bag to make (a new folder)."
)
@click.option(
    "--where",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Also every record whose FIELD is VALUE or holds it: access=public, surnames=Kim (repeated: all must hold).",
)
def export_bag(ids: tuple[str, ...], out: Path, where: tuple[str, ...]) -> None:
    """Make a BagIt bag of some interviews and items (IDS: bare ids or kind/id), with their history and the audit
    log's lines about them, for another archive to take in with `archive import-bag`. A whole collection's bag is
    `archive backup`."""
    wanted = {}
    for condition in where:
        field, sep, value = condition.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(f"{condition!r} is not FIELD=VALUE", param_hint="--where")
        wanted[field.strip()] = value.strip()
    if not ids and not wanted:
        raise click.UsageError("Name at least one record, or choose some with --where.")
    made = _app().extensions["services"].backups.export_bag(out, list(ids), wanted or None)
    click.echo(f"Made and checked the bag {made}.")


@cli.command("import-bag")
@click.argument("bag", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--author", default=None, help="Name recorded with the import (default: your login name).")
def import_bag(bag: Path, author: str | None) -> None:
    """Take in the records of a bag made by `archive export bag`: the bag is checked fully first (every file against
    its manifests, nothing missing or extra, each record against its own manifest, the bag's description), and a
    record whose id this archive already has refuses the whole bag. Nothing is written unless all can be taken in."""
    import getpass

    taken = _app().extensions["services"].backups.import_bag(bag, author or getpass.getuser())
    click.echo(f"Imported {len(taken)} record{'' if len(taken) == 1 else 's'}: {', '.join(taken)}.")


def _export_ids(ids: tuple[str, ...], out: Path | None, extension: str, write) -> None:
    """Check every id first (unknown and deleted ones refused, nothing written), then write one file per id into the
    folder `out` (made if missing), or for one id the file `out` (stdout without it). `write(record, id)` gives the
    file's bytes."""
    from . import access, interviews
    from .errors import CollectionError

    records = {}
    for interview_id in ids:
        try:
            records[interview_id] = interviews.load(_app().extensions["collection"], interview_id).record
        except CollectionError:
            raise ArchiveError(f"there is no interview {interview_id}") from None
        if access.deleted(records[interview_id]):
            raise ArchiveError(f"interview {interview_id} was deleted; a deleted interview is not exported")
    single = len(ids) == 1 and out is not None and not out.is_dir() and out.suffix != ""
    if out is None:
        if len(ids) > 1:
            raise ArchiveError("several interviews need --out FOLDER (one file each)")
        sys.stdout.buffer.write(write(records[ids[0]], ids[0]))
        return
    if not single and out.exists() and not out.is_dir():
        raise ArchiveError(f"{out} is a file; give a folder for one file per interview")
    if not single:
        out.mkdir(parents=True, exist_ok=True)
    for interview_id, record in records.items():
        target = out if single else out / f"{interview_id}.{extension}"
        target.write_bytes(write(record, interview_id))
    click.echo(f"Wrote {len(ids)} file{'' if len(ids) == 1 else 's'} to {out}.", err=True)


def _export_context(base_url: str | None):
    """A request context at the archive's public address, so exports name their pages as the web does."""
    app = _app()
    return app.test_request_context(base_url=base_url or app.config["ARCHIVE_BASE_URL"])


_BASE_URL_HELP = "The archive's public address, for the links written (default: ARCHIVE_BASE_URL)."


@export_group.command("ohms")
@click.argument("ids", nargs=-1, required=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Folder (or, for one id, file) to write.")
@click.option("--base-url", default=None, help=_BASE_URL_HELP)
def export_ohms(ids: tuple[str, ...], out: Path | None, base_url: str | None) -> None:
    """Write interviews as OHMS XML (as staff read them: redacted passages included), one file per interview."""
    from flask import url_for

    from . import access, recordings
    from .exports import ohms

    def write(record: dict, interview_id: str) -> bytes:
        media = None
        if len(recordings.parts(record)) == 1:
            media = url_for("interviews.recording", interview_id=interview_id, part=1, _external=True)
        name = _app().config["ARCHIVE_SITE_NAME"]
        return ohms.build(
            _app().extensions["collection"], interview_id, access.keeper(), repository=name, media_url=media
        )

    with _export_context(base_url):
        _export_ids(ids, out, "ohms.xml", write)


@export_group.command("citations")
@click.argument("ids", nargs=-1, required=True)
@click.option("--format", "form", type=click.Choice(["csl", "bibtex", "ris"]), default="csl", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Folder (or, for one id, file) to write.")
@click.option("--base-url", default=None, help=_BASE_URL_HELP)
def export_citations(ids: tuple[str, ...], form: str, out: Path | None, base_url: str | None) -> None:
    """Write the citation of each interview as CSL-JSON, BibTeX or RIS, one file per interview."""
    from flask import url_for

    from . import access
    from .exports import citations

    def write(record: dict, interview_id: str) -> bytes:
        url = url_for("interviews.show", interview_id=interview_id, _external=True)
        name = _app().config["ARCHIVE_SITE_NAME"]
        found = citations.item(_app().extensions["collection"], interview_id, access.keeper(), url=url, archive=name)
        return citations.write(found, form, record).encode("utf-8")

    with _export_context(base_url):
        _export_ids(ids, out, citations.FORMATS[form][0], write)


@cli.group("import")
def import_group() -> None:
    """Take corrections back into the archive's records."""


@import_group.command("csv")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--dry-run/--apply", "dry_run", default=True, help="Only say what would change (the default), or write it."
)
@click.option("--author", default=None, help="Name recorded with the change (default: your login name).")
def import_csv(source: Path, dry_run: bool, author: str | None) -> None:
    """Check a CSV sheet (as `archive export csv` writes it) and say per record what would change; with --apply,
    write the rows that have no problem. Exit status 1 if any row has a problem."""
    import getpass

    services = _app().extensions["services"]
    plan = services.spreadsheets.plan_import(source)
    for row in plan.changing():
        click.echo(f"{row.ref} (row {row.number}):")
        for column, (before, after) in row.changes.items():
            click.echo(f"  {column}: {_cell(before)} -> {_cell(after)}")
    problems = plan.every_problem()
    if not dry_run:
        done = services.spreadsheets.apply_import(plan, author or getpass.getuser())
        problems += done.problems
        click.echo(f"{len(done.written)} records changed.")
    elif not problems:
        click.echo(f"{len(plan.changing())} records would change; nothing was written (--apply writes them).")
    for problem in problems:
        where = f"row {problem.row}" + (f", column {problem.column}" if problem.column else "")
        click.echo(f"{where}: {' '.join(str(problem.message).split())}", err=True)
    if problems:
        click.echo(
            f"{len(problems)} problem{'' if len(problems) == 1 else 's'}; nothing was written from those rows.",
            err=True,
        )
        sys.exit(1)


def _cell(value: str) -> str:
    """A cell on one line: empty said so, newlines shown as \\n."""
    return value.replace("\n", "\\n") if value else "(empty)"


def main() -> None:
    """Run the command line (the `archive` console script)."""
    cli(prog_name="archive")
