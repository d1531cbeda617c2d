"""Errors meant for people: each message is one plain sentence that says what is wrong and where."""

import errno
import sqlite3


class ArchiveError(Exception):
    """Base for every error the archive reports to a person instead of a traceback."""


class ConfigError(ArchiveError):
    """A setting or the data root cannot be used."""


class CollectionError(ArchiveError):
    """A read or write of the collection on disk was refused."""


class ConflictError(CollectionError):
    """Somebody else changed a file after the caller read it."""

    code = "version-conflict"  # for the API's problem documents

    def __init__(self, path: str, author: str | None, time: str | None):
        self.path, self.author, self.time = path, author, time
        if author:
            who = f"by {author} at {time}"
        else:
            who = "outside the archive (its change is not recorded)"
        super().__init__(f"{path} was changed {who} after you opened it; reload it and make your change again")


class AccountError(ArchiveError):
    """An account could not be created, changed or used."""


class SignInThrottled(AccountError):
    """Too many failed sign-ins for a name or an address."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(f"Too many failed sign-in attempts; try again in {minutes} minute{'s' if minutes > 1 else ''}")


class DiskFullError(CollectionError):
    """The disk holding the archive is full: the write was undone, and the previous version is intact."""

    code = "disk-full"  # for the API's problem documents

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
    return isinstance(error, sqlite3.OperationalError) and "disk is full" in str(error)  # SQLite says it this way
