"""OAI-PMH 2.0 at /oai: aggregators harvest the description of what an anonymous reader may open, nothing more.

Two formats: `oai_dc` (Dublin Core) and `oai_archive`, the archive's own (exports/oai_archive.py, its XSD served at
/oai/oai_archive.xsd). Sets (exports/oai_sets.py): `kind:interviews`, `kind:media[:<kind>]`, `place:<gazetteer
id>`, `collection:<slug>`; `set=` takes a set with its subsets, and a resumption token keeps it.

Records are interviews and media items (`oai:<host>:interviews/<id>`, `oai:<host>:media/<id>`), stamped with the last
change of their description. A record that becomes hidden (withdrawn, embargoed, restricted) simply stops being
listed, with one exception: a record anyone could open before it was deleted or withdrawn is listed with a deleted
header (deletedRecord is "persistent", stamped with the time of its removal), so harvesters drop their copy; of every
other removed or hidden record the repository says nothing (access.was_public decides).
"""

from __future__ import annotations

import base64
import datetime
import json
from xml.etree.ElementTree import Element, SubElement

from flask import Blueprint, Response, current_app, request, url_for

from .. import access, records, segment_index, vocab
from ..exports import oai_archive, oai_sets
from ..formats import dublin_core, xmlsafe
from .loaders import collection, search_index

bp = Blueprint("oai", __name__)
OAI = "http://www.openarchives.org/OAI/2.0/"
PAGE = 100
# Each verb's arguments: only these names are ever echoed in <request>, and only for a well-formed request.
ARGUMENTS = {
    "Identify": (),
    "ListMetadataFormats": ("identifier",),
    "ListSets": ("resumptionToken",),
    "ListIdentifiers": ("metadataPrefix", "from", "until", "set", "resumptionToken"),
    "ListRecords": ("metadataPrefix", "from", "until", "set", "resumptionToken"),
    "GetRecord": ("identifier", "metadataPrefix"),
}
VERBS = tuple(ARGUMENTS)
PREFIXES = ("oai_dc", oai_archive.PREFIX)


@bp.get("/oai")
@bp.post("/oai")  # harvesters may POST; it only reads, so it needs no CSRF token
def endpoint():
    args = request.values
    root = Element(
        "OAI-PMH",
        {
            "xmlns": OAI,
            "xmlns:xsi": dublin_core.XSI,
            "xsi:schemaLocation": f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
        },
    )
    SubElement(root, "responseDate").text = records.utc_stamp(datetime.datetime.now(datetime.UTC).isoformat())
    verb = args.get("verb", "")
    req = SubElement(root, "request")
    req.text = url_for("oai.endpoint", _external=True)
    try:
        if verb not in VERBS:
            raise _Problem("badVerb", f"{verb!r} is not an OAI-PMH verb" if verb else "the verb argument is missing")
        if any(len(args.getlist(name)) > 1 for name in args):
            raise _Problem("badArgument", "an argument is repeated")
        _allowed_args(args, set(ARGUMENTS[verb]))
        # the protocol echoes the arguments of a request it could read: known names only, values escaped
        req.attrib.update({"verb": verb, **{name: args[name] for name in ARGUMENTS[verb] if name in args}})
        {
            "Identify": _identify,
            "ListMetadataFormats": _formats,
            "ListSets": _sets,
            "ListIdentifiers": _list,
            "ListRecords": _list,
            "GetRecord": _get,
        }[verb](root, verb, args)
    except _Problem as problem:
        for child in list(root)[2:]:
            root.remove(child)
        if problem.code in ("badVerb", "badArgument"):
            req.attrib.clear()  # the protocol: no attributes echoed when the request itself was wrong
        SubElement(root, "error", {"code": problem.code}).text = problem.message
    return Response(xmlsafe.document(root), mimetype="text/xml")


class _Problem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _identifier(ref: str) -> str:
    return f"oai:{request.host.split(':')[0]}:{ref}"


def _allowed_args(args, allowed: set[str]) -> None:
    extra = set(args) - allowed - {"verb"}
    if extra:
        raise _Problem("badArgument", f"unexpected argument {', '.join(sorted(extra))}")


def _identify(root, verb, args):
    node = SubElement(root, verb)
    first = records.listed(collection(), search_index(), access.Reader(), 1, tombstones=True).records
    earliest = first[0].changed if first else ""
    for name, value in (
        ("repositoryName", current_app.config["ARCHIVE_SITE_NAME"]),
        ("baseURL", url_for("oai.endpoint", _external=True)),
        ("protocolVersion", "2.0"),
        ("adminEmail", "archive@localhost"),
        ("earliestDatestamp", records.utc_stamp(earliest)),
        ("deletedRecord", "persistent"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ):
        SubElement(node, name).text = value


def _archive_namespace() -> str:
    return url_for("oai.endpoint", _external=True) + "/oai_archive/1"


@bp.get("/oai/oai_archive.xsd")
def archive_schema():
    """The XSD of the oai_archive format, in this archive's namespace."""
    return Response(oai_archive.schema(_archive_namespace()), mimetype="application/xml")


def _formats(root, verb, args):
    if "identifier" in args:
        _find(args["identifier"])  # a record that is not there has no formats to tell of
    node = SubElement(root, verb)
    for prefix, schema, namespace in (
        ("oai_dc", dublin_core.SCHEMA, dublin_core.OAI_DC),
        (oai_archive.PREFIX, url_for("oai.archive_schema", _external=True), _archive_namespace()),
    ):
        fmt = SubElement(node, "metadataFormat")
        SubElement(fmt, "metadataPrefix").text = prefix
        SubElement(fmt, "schema").text = schema
        SubElement(fmt, "metadataNamespace").text = namespace


def _sets(root, verb, args):
    if "resumptionToken" in args:
        raise _Problem("badResumptionToken", "the list of sets is given whole, without resumption tokens")
    node = SubElement(root, verb)
    made = records.sets_made(collection(), search_index(), access.Reader())
    for found in oai_sets.listed(made, vocab.gazetteer(collection())):
        entry = SubElement(node, "set")
        SubElement(entry, "setSpec").text = found.spec
        SubElement(entry, "setName").text = found.name
        if found.description or found.labels or found.coordinates:
            about = dublin_core.bare(SubElement(entry, "setDescription"))
            if found.description:
                SubElement(about, "dc:description").text = found.description
            for language, label in found.labels:
                SubElement(about, "dc:title", {"xml:lang": language}).text = label
            if found.coordinates:
                SubElement(about, "dc:coverage").text = "lat={}; lon={}".format(*found.coordinates)


def _header(parent, rec: records.Record):
    header = SubElement(parent, "header", {"status": "deleted"} if rec.removed else {})
    SubElement(header, "identifier").text = _identifier(rec.ref)
    SubElement(header, "datestamp").text = records.utc_stamp(rec.changed)
    for spec in oai_sets.specs(rec):
        SubElement(header, "setSpec").text = spec


def _record(parent, rec: records.Record, prefix: str):
    node = SubElement(parent, "record")
    _header(node, rec)
    if rec.removed:
        return  # a deleted record has a header alone
    metadata = SubElement(node, "metadata")
    endpoint = "interviews.show" if rec.kind == "interviews" else "media.show"
    key = "interview_id" if rec.kind == "interviews" else "item_id"
    url = url_for(endpoint, **{key: rec.id}, _external=True)
    if prefix == "oai_dc":
        metadata.append(dublin_core.element(rec.kind, rec.record, url))
        return
    points = segment_index.read(collection(), rec.id, rec.record).points if rec.kind == "interviews" else []
    metadata.append(
        oai_archive.element(
            rec.kind,
            rec.record,
            url,
            points,
            vocab.gazetteer(collection()),
            _archive_namespace(),
            url_for("oai.archive_schema", _external=True),
        )
    )


def _prefix(prefix: str | None) -> str:
    if not prefix:
        raise _Problem("badArgument", "metadataPrefix is required")
    if prefix not in PREFIXES:
        raise _Problem("cannotDisseminateFormat", f"the formats offered are {' and '.join(PREFIXES)}")
    return prefix


def _list(root, verb, args):
    if "resumptionToken" in args:
        _allowed_args(args, {"resumptionToken"})  # an exclusive argument: nothing else beside it
        try:
            state = json.loads(base64.urlsafe_b64decode(args["resumptionToken"].encode()))
            after, prefix, start, until, wanted = state["a"], state["p"], state["f"], state["u"], state["s"]
            if not all(isinstance(v, str) for v in (prefix, start, until, wanted)) or not (
                isinstance(after, list) and len(after) == 2 and all(isinstance(v, str) for v in after)
            ):
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _Problem("badResumptionToken", "this resumption token is not one of ours") from None
    else:
        prefix, start, until, after = args.get("metadataPrefix"), args.get("from", ""), args.get("until", ""), None
        wanted = args.get("set", "")
        if "set" in args and not oai_sets.is_spec(wanted):
            raise _Problem("badArgument", f"{wanted!r} is not a setSpec")
        if start and until and len(start) != len(until):
            raise _Problem("badArgument", "from and until must have the same granularity")
    prefix = _prefix(prefix)
    # what anonymous harvesters may see (records) and be told of (the deleted headers of public records), oldest
    # change first, ties by ref; a token names the last record sent, so a record changed during a harvest moves to
    # the end of the list (and is sent again) rather than shifting the rest past the harvester
    page = records.listed(
        collection(),
        search_index(),
        access.Reader(),
        PAGE,
        after=tuple(after) if after is not None else None,
        since=_bound(start) if start else "",
        until=_bound(until, True) if until else "",
        within=wanted,
        tombstones=True,
    )
    if not page.total:
        raise _Problem("noRecordsMatch", "no records match")
    if not page.rest:
        raise _Problem("badResumptionToken", "this resumption token has nothing left to give")
    node = SubElement(root, verb)
    for rec in page.records:
        if verb == "ListIdentifiers":
            _header(node, rec)
        else:
            _record(node, rec, prefix)
    if page.rest > PAGE or after is not None:
        token = SubElement(
            node, "resumptionToken", {"completeListSize": str(page.total), "cursor": str(page.total - page.rest)}
        )
        if page.rest > PAGE:
            last = page.records[-1]
            token.text = base64.urlsafe_b64encode(
                json.dumps({"a": [last.changed, last.ref], "p": prefix, "f": start, "u": until, "s": wanted}).encode()
            ).decode()


def _bound(value: str, upper: bool = False) -> str:
    """A from/until argument as a full UTC stamp (a day means its first or last second)."""
    try:
        if len(value) == 10:
            datetime.date.fromisoformat(value)
            return f"{value}T23:59:59Z" if upper else f"{value}T00:00:00Z"
        datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        return value
    except ValueError:
        raise _Problem(
            "badArgument", f"{value!r} is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"
        ) from None


def _get(root, verb, args):
    if "identifier" not in args:
        raise _Problem("badArgument", "identifier is required")
    prefix = _prefix(args.get("metadataPrefix"))
    _record(SubElement(root, verb), _find(args["identifier"]), prefix)


def _find(identifier: str) -> records.Record:
    ref = identifier.rsplit(":", 1)[-1]
    rec = records.one(collection(), access.Reader(), ref, tombstones=True)
    if rec is None:
        raise _Problem("idDoesNotExist", "no such record")
    return rec
