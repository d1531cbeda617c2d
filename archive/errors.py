"""Errors meant for people: each message is one plain sentence that says what is wrong and where."""


class ArchiveError(Exception):
    """Base for every error the archive reports to a person instead of a traceback."""


class ConfigError(ArchiveError):
    """A setting or the data root cannot be used."""


class CollectionError(ArchiveError):
    """A read or write of the collection on disk was refused."""


class ConflictError(CollectionError):
    """Somebody else changed a file after the caller read it."""

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
