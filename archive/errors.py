"""Errors meant for people: each says what is wrong and where, in one plain sentence.

The contract every error of the archive keeps: its message is for people; `field` names the form or request field
it concerns (or is None); `code` is a stable name for the kind of problem, which views, the API's problem documents
and scripts act on (never the message text); `status` is the HTTP status the API answers it with.
"""

import errno
import sqlite3


def N_(text: str) -> str:  # noqa: N802 - the name gettext tools look for (the same as i18n.N_, which sits above this)
    """Mark a message for the catalogues; it is translated where it is shown."""
    return text


def sentence(text: str) -> str:
    """A message as a sentence: a capital first letter and a closing full stop. Messages are written so that they
    can also be joined into one line ("file: reason"), so this is done where they are shown, by this alone."""
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


class Message(str):
    """A message for people made below the views: the English text (what the CLI and the logs show, and what it is
    as a string), which also keeps its template (marked with `N_` where it is written) and the values that fill it,
    so that a page can say it in the reader's language (`i18n.localise`). A value may itself be a Message or an
    `ArchiveError`, said in the same language."""

    template: str
    params: dict

    def __new__(cls, template: str, **params: object) -> "Message":
        if isinstance(template, Message) and not params:
            return template  # already one: kept whole, template and values
        made = super().__new__(cls, template.format(**{k: str(v) for k, v in params.items()}) if params else template)
        made.template, made.params = template, params
        return made


class Language(str):
    """A language in a message, by its BCP 47 tag: its English name as a string (what the CLI and the logs show), and
    named in the reader's language on a page (`i18n.localise`)."""

    tag: str

    def __new__(cls, tag: str) -> "Language":
        import langcodes

        try:
            name = langcodes.Language.get(tag).display_name()
        except (ValueError, LookupError):  # not a tag langcodes can read: named as written
            name = tag
        made = super().__new__(cls, name)
        made.tag = tag
        return made


class Count(int):
    """A large number in a message, written with thousands separators in English (a page says it in its own way)."""

    def __str__(self) -> str:
        return f"{self:,}"


class ArchiveError(Exception):
    """Base for every error the archive reports to a person instead of a traceback. Its message is a template
    (marked with `N_`) filled with `params`, kept apart so that a page can translate the template (`message`)."""

    code = "refused"
    status = 422

    def __init__(self, message: str = "", field: str | None = None, code: str | None = None, **params: object):
        self.message = message if isinstance(message, Message) else Message(message, **params)
        super().__init__(str(self.message))
        self.field = field
        if code:
            self.code = code

    @property
    def sentence(self) -> str:
        """The message as a sentence for a page."""
        return sentence(str(self))


class ConfigError(ArchiveError):
    """A setting or the data root cannot be used."""

    code = "configuration"
    status = 500


class CollectionError(ArchiveError):
    """A read or write of the collection on disk was refused."""

    code = "collection"
    status = 409


class ConflictError(CollectionError):
    """Somebody else changed a file after the caller read it."""

    code = "version-conflict"
    status = 412

    def __init__(self, path: str, author: str | None, time: str | None):
        self.path, self.author, self.time = path, author, time
        if author:
            super().__init__(
                N_(
                    "{path} was changed by {author} at {time} after you opened it; reload it and make your change again"
                ),
                path=path,
                author=author,
                time=time,
            )
        else:
            super().__init__(
                N_(
                    "{path} was changed outside the archive (its change is not recorded) after you opened it; reload "
                    "it and make your change again"
                ),
                path=path,
            )


class AccountError(ArchiveError):
    """An account could not be created, changed or used."""

    code = "account"
    status = 400


class SignInThrottled(AccountError):
    """Too many failed sign-ins for a name or an address."""

    code = "too-many-attempts"
    status = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(f"Too many failed sign-in attempts; try again in {minutes} minute{'s' if minutes > 1 else ''}")


class DiskFullError(CollectionError):
    """The disk holding the archive is full: the write was undone, and the previous version is intact."""

    code = "disk-full"
    status = 507

    def __init__(self, where: str = ""):
        self.where = where
        super().__init__("the archive's disk is full; nothing was changed" + (f" ({where})" if where else ""))


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)  # no room left, or the owner's quota is used up


def is_disk_full(error: BaseException) -> bool:
    """Tell whether an error means that no more can be written (the disk or the quota is full)."""
    if isinstance(error, DiskFullError):
        return True
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return True
    # SQLite says so by its error code (SQLITE_FULL), which Python gives its errors
    return isinstance(error, sqlite3.OperationalError) and getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_FULL
