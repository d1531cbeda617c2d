"""Pages anyone may open, and the feed of what was added or changed."""

from xml.etree.ElementTree import Element, SubElement

from flask import Blueprint, Response, current_app, g, render_template, url_for

from .. import records
from ..formats import xmlsafe
from .loaders import collection

bp = Blueprint("public", __name__)
ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/feed.atom")
def feed():
    """An Atom feed of the latest interviews and items this reader may open (most recently changed first)."""
    shown = records.readable(collection(), g.reader)[:FEED_ENTRIES]
    root = Element("feed", {"xmlns": ATOM})
    SubElement(root, "title").text = current_app.config["ARCHIVE_SITE_NAME"]
    SubElement(root, "id").text = url_for("public.feed", _external=True)
    SubElement(root, "link", {"rel": "self", "href": url_for("public.feed", _external=True)})
    SubElement(root, "updated").text = records.utc_stamp(shown[0].changed if shown else "")
    author = SubElement(root, "author")
    SubElement(author, "name").text = current_app.config["ARCHIVE_SITE_NAME"]
    for rec in shown:
        endpoint, key = ("interviews.show", "interview_id") if rec.kind == "interviews" else ("media.show", "item_id")
        url = url_for(endpoint, **{key: rec.id}, _external=True)
        entry = SubElement(root, "entry")
        SubElement(entry, "title").text = rec.record.get("title", "")
        SubElement(entry, "id").text = url
        SubElement(entry, "link", {"href": url})
        SubElement(entry, "updated").text = records.utc_stamp(rec.changed)
        summary = rec.record.get("description") or rec.record.get("caption")
        if summary:
            SubElement(entry, "summary").text = summary
    return Response(xmlsafe.document(root), mimetype="application/atom+xml")
