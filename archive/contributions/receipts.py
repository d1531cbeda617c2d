"""The receipt a family keeps (a private link and a code to write down), the submission it opens, and
the withdrawal of consent made through it, which hides at once everything made from the submission."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..collection import Collection, is_valid_id, now
from ..errors import CollectionError, ConflictError
from ..i18n import N_
from .inbox import KIND, RETRIES, ContributionError, Submission, _json, _save, load

if TYPE_CHECKING:  # the services give an indexer; only its type is needed here
    from ..search import Updates

CODE_LENGTH = 10  # 50 bits, typed as two groups of five; guesses are throttled per address
# Crockford's base 32 reads O as 0 and I, L as 1; a Russian keyboard types Cyrillic letters that look the same
_MISREAD = str.maketrans("oilавсекмнорстху", "011abcekmh0pctxy")


@dataclass
class Receipt:
    """What the contributor keeps: the private link's secret and a short code to write down."""

    submission_id: str
    token: str
    code: str = field(repr=False)

    @property
    def code_shown(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}".upper()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def by_token(collection: Collection, submission_id: str, token: str) -> Submission | None:
    """The submission a receipt link names, or None if the link is wrong (compared in constant time)."""
    if not is_valid_id(submission_id, KIND) or not collection.exists(KIND, submission_id):
        return None
    submission = load(collection, submission_id)
    expected = submission.record.get("receipt", {}).get("token_sha256", "")
    return submission if hmac.compare_digest(expected, _digest(token or "")) else None


def by_code(collection: Collection, code: str) -> Submission | None:
    """The submission a written-down code belongs to, or None."""
    cleaned = "".join(c for c in (code or "").lower() if c.isalnum()).translate(_MISREAD)
    if len(cleaned) != CODE_LENGTH:
        return None
    wanted = _digest(cleaned)
    for submission_id in collection.ids(KIND):
        submission = load(collection, submission_id)
        if hmac.compare_digest(submission.record.get("receipt", {}).get("code_sha256", ""), wanted):
            return submission
    return None


def withdraw(collection: Collection, submission: Submission, indexer: Updates | None = None) -> Submission:
    """Withdraw consent: the submission closes, and what it became is hidden from all but staff at once. Whatever
    was written meanwhile, the withdrawal is written on top of it: it is never lost to a conflict."""
    current = submission
    for _ in range(RETRIES):
        if current.status == "withdrawn":
            break
        record = {
            **current.record,
            "status": "withdrawn",
            "log": [*current.record["log"], {"at": now(), "by": "contributor", "action": "withdrawn"}],
        }
        try:
            current = _save(collection, current, record, "contributor")
        except ConflictError:
            current = load(collection, submission.id)
    else:
        raise ContributionError(N_("the archive is busy with this testimony; please withdraw again"), None, "busy")
    hide_made_from(collection, submission.id, indexer)
    return current


def hide_made_from(collection: Collection, submission_id: str, indexer: Updates | None = None) -> list[str]:
    """Mark withdrawn every interview and item this contribution made: found by their `contribution`, not by the
    submission's list, so one an approval is making at this very moment is caught too. Returns their index ids."""
    today = datetime.date.today().isoformat()
    hidden = []
    for kind, name in (("interviews", "interview.json"), ("media", "item.json")):
        for folder_id in collection.ids(kind):
            try:
                record = json.loads(collection.read(kind, folder_id, name).data)
            except (CollectionError, ValueError):
                continue
            if record.get("contribution") != submission_id or record.get("withdrawn"):
                continue

            def mark(current, name=name):
                return {name: _json({**json.loads(current[name]), "withdrawn": today})}

            collection.update(kind, folder_id, [name], mark, "contributor")
            hidden.append(folder_id if kind == "interviews" else f"media/{folder_id}")
    if indexer is not None and hidden:
        indexer.updated(*hidden)  # hidden in the collection already; a failure is logged and the check catches up
    return hidden
