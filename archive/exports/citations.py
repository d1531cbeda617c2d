"""Citations of an interview, or of a moment of it: one CSL-JSON item, from which the BibTeX and RIS records and the
sentence on the interview page are all made, so they cannot say different things.

The narrators are the authors and the interviewers the interviewers, each name as the archive stores it, in its own
script, as one literal name (Korean and Russian names are written family name first, and no rule splits them
safely). The date is the interview's EDTF date: a plain year, month or day becomes CSL date-parts (approximate or
uncertain ones marked `circa`); anything else (a decade, an interval) is kept as written, as `raw`. The medium is
"oral history interview"; the URL is the interview's page, or for a moment (`at`, seconds) the page opened at that
moment (`?t=` and `#t=`, as the page's own links write it).

Escaping is each writer's own: JSON by json; BibTeX values in braces with `\\`, `{`, `}` and LaTeX's special
characters written as commands, names in an extra pair of braces so no name is cut into parts; RIS one `TAG  - value`
per line, line breaks and control characters inside a value turned into spaces.
"""

from __future__ import annotations

import datetime
import json
import re

from .. import access, interviews, recordings
from ..collection import Collection

MEDIUM = "oral history interview"
FORMATS = {  # name -> (file extension, content type)
    "csl": ("json", "application/vnd.citationstyles.csl+json"),
    "bibtex": ("bib", "application/x-bibtex; charset=utf-8"),
    "ris": ("ris", "application/x-research-info-systems; charset=utf-8"),
}
_PLAIN_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)")
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_RIS_SPACE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def item(
    collection: Collection,
    interview_id: str,
    reader: access.Viewer,
    *,
    url: str,
    archive: str,
    at: float | None = None,
    accessed: datetime.date | None = None,
) -> dict:
    """The CSL-JSON item citing an interview the reader may read (AccessDenied otherwise), or a moment `at` seconds
    into it; `url` is the address to cite (the moment's, for a moment), `archive` the archive's name."""
    record = interviews.load(collection, interview_id).record
    if not access.can_read(reader, record, f"interviews/{interview_id}"):
        raise access.AccessDenied(access.as_reader(reader).user is not None)
    return csl(record, interview_id, url=url, archive=archive, at=at, accessed=accessed)


def csl(
    record: dict,
    interview_id: str,
    *,
    url: str,
    archive: str,
    at: float | None = None,
    accessed: datetime.date | None = None,
) -> dict:
    """The CSL-JSON item of a record already read (see `item`)."""
    accessed = accessed or datetime.date.today()
    found = {
        "id": interview_id if at is None else f"{interview_id}-t{int(at)}",
        "type": "interview",
        "title": record.get("title") or interview_id,
        "author": [{"literal": n["name"]} for n in record.get("narrators") or [] if n.get("name")],
        "interviewer": [{"literal": name} for name in record.get("interviewers") or []],
        "issued": issued(record.get("date") or ""),
        "medium": MEDIUM,
        "archive": archive,
        "archive_collection": record.get("collection") or "",
        "archive_location": record.get("accession") or "",
        "language": (record.get("languages") or [""])[0],
        "URL": url,
        "accessed": {"date-parts": [[accessed.year, accessed.month, accessed.day]]},
    }
    if at is not None:
        found["note"] = f"at {clock(at)}"
    return {key: value for key, value in found.items() if value not in ("", [], None)}


def issued(date: str) -> dict | None:
    """CSL date of an EDTF date: date-parts for a plain year, month or day (`circa` when approximate or uncertain),
    the EDTF as `raw` for anything else; None for no date."""
    if not date:
        return None
    match = _PLAIN_DATE_RE.fullmatch(date)
    if not match:
        return {"raw": date}
    parts = [int(p) for p in match.groups()[:3] if p]
    return {"date-parts": [parts], **({"circa": True} if match.group(4) else {})}


def edtf(date: dict | None) -> str:
    """The EDTF date a CSL date stands for (the inverse of `issued`), for saying it in words."""
    if not date:
        return ""
    if "raw" in date:
        return date["raw"]
    parts = date["date-parts"][0]
    return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:])]) + ("~" if date.get("circa") else "")


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def names(entries: list[dict] | None) -> list[str]:
    return [e["literal"] for e in entries or []]


# --- writers -----------------------------------------------------------------------------------------------------


def write(found: dict, form: str, record: dict) -> str:
    """The item as a file of one format: "csl" (a JSON array of one item), "bibtex" or "ris" (whose type is told by
    the `record`'s recordings)."""
    if form == "ris":
        return write_ris(found, ris_type(record))
    return {"csl": write_csl, "bibtex": write_bibtex}[form](found)


def write_csl(found: dict) -> str:
    return json.dumps([found], ensure_ascii=False, indent=2) + "\n"


def bibtex_escape(text: str) -> str:
    """Text as a BibTeX value says it: braces and backslash (which would end or break the value) and LaTeX's
    special characters written as commands; line breaks as spaces."""
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(text.split()))


def write_bibtex(found: dict) -> str:
    date = found.get("issued") or {}
    parts = date.get("date-parts", [[]])[0]
    accessed = found["accessed"]["date-parts"][0]
    people = " and ".join("{" + bibtex_escape(name) + "}" for name in names(found.get("author")))
    notes = [f"Interviewed by {', '.join(names(found.get('interviewer')))}"] if found.get("interviewer") else []
    notes += [found[k] for k in ("archive_collection", "archive_location") if found.get(k)]
    if found.get("note"):
        notes.append(found["note"])
    fields = [
        ("author", people, False),
        ("title", found["title"], True),
        ("year", str(parts[0]) if parts else "", False),
        ("month", str(parts[1]) if len(parts) > 1 else "", False),
        ("date", edtf(date) if date else "", True),
        ("howpublished", found["medium"], True),
        ("organization", found.get("archive", ""), True),
        ("note", ". ".join(notes), True),
        ("language", found.get("language", ""), True),
        ("url", found["URL"], False),
        ("urldate", "-".join(f"{p:02d}" for p in accessed), False),
    ]
    key = re.sub(r"[^A-Za-z0-9_-]", "", found["id"]) or "interview"
    body = ",\n".join(
        f"  {name} = {{{bibtex_escape(value) if escape else value}}}" for name, value, escape in fields if value
    )
    return f"@misc{{{key},\n{body}\n}}\n"


def write_ris(found: dict, kind: str = "SOUND") -> str:
    date = found.get("issued") or {}
    parts = date.get("date-parts", [[]])[0]
    accessed = found["accessed"]["date-parts"][0]
    tags: list[tuple[str, str]] = [("TY", kind)]
    tags += [("AU", name) for name in names(found.get("author"))]
    tags += [("A2", name) for name in names(found.get("interviewer"))]
    tags += [
        ("TI", found["title"]),
        ("PY", str(parts[0]) if parts else ""),
        ("DA", "/".join(f"{p:02d}" for p in parts) + "/" if parts else ""),
        ("M3", found["medium"]),
        ("DP", found.get("archive", "")),
        ("T2", found.get("archive_collection", "")),
        ("AN", found.get("archive_location", "")),
        ("LA", found.get("language", "")),
        ("UR", found["URL"]),
        ("Y2", "/".join(f"{p:02d}" for p in accessed)),
        ("N1", "; ".join(filter(None, [date.get("raw", ""), found.get("note", "")]))),
    ]
    lines = [f"{tag}  - {_RIS_SPACE_RE.sub(' ', value).strip()}" for tag, value in tags if value and value.strip()]
    return "\r\n".join([*lines, "ER  - ", ""])


def ris_type(record: dict) -> str:
    """RIS has no type for an interview: a sound or video recording when there is one, else a generic work."""
    parts = recordings.parts(record)
    if not parts:
        return "GEN"
    return "VIDEO" if parts[0].get("kind") == "video" else "SOUND"
