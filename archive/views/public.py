"""Pages anyone may open (the home page, and the form where staff write what it says of the collection), and the
feed of what was added or changed."""

from xml.etree.ElementTree import Element, SubElement

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for

from .. import about, access, records, vocab
from ..errors import ConflictError
from ..formats import xmlsafe
from ..i18n import N_
from ..i18n import translate as _
from .forms.base import show_error
from .forms.public import AboutForm
from .loaders import collection, facet_counts, search_index, services

bp = Blueprint("public", __name__)
ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
FEED_ENTRIES = 50
RECENT = 6  # recent additions on the home page
TIMELINE = 8  # events on the home page's short timeline

# what the description's checks (archive/about.py) may refuse, by code, in words; {subject} is what it concerns
ABOUT_MESSAGES = {
    "unknown-interview": N_("There is no interview “{subject}” in the archive: check the identifier in its address."),
    "no-quote": N_("Give a quote after the identifier “{subject}”."),
    "long-quote": N_("The quote from “{subject}” is too long: choose a few sentences."),
    "quote-not-found": N_(
        "The quote is not in the transcript of “{subject}”: copy it exactly as the transcript has it."
    ),
    "too-many-featured": N_("Feature twelve testimonies at most."),
    "about-too-long": N_("This is too long."),
    "about-examples": N_("Give at most twelve example names, each of at most 60 characters."),
    "about-stale": N_("This page is out of date: reload it and make your change again."),
}


def _short_timeline() -> list:
    """The events of the timeline that passages this reader may read speak of, in date order (a few)."""
    counts = facet_counts("event")
    return [(e, counts[e.id]) for e in vocab.events(collection()) if e.id in counts][:TIMELINE]


@bp.get("/")
def index():
    """What this archive holds (in the collection's own words), a search box, ways to browse, what is new, a few
    testimonies, the timeline and an invitation to share: each part only of what this reader may see."""
    described = about.load(collection())
    return render_template(
        "public/index.html",
        text=described.text(g.lang),
        featured=about.featured_for(collection(), described, g.reader),
        recent=records.readable(collection(), search_index(), g.reader, RECENT),
        timeline=_short_timeline(),
        decades=sorted(facet_counts("decade").items()),
    )


@bp.route("/about/edit", methods=["GET", "POST"])
def edit_about():
    """Staff write what the home page says of the collection, in each language, and choose its featured quotes."""
    access.require(g.viewer, "edit")
    current = about.load(collection())
    form = AboutForm()
    if request.method == "GET":
        form.fill(current.data, current.version)
    if form.validate_on_submit():
        try:
            services().about.save(form.about(), g.viewer.name, form.version.data or "")
        except ConflictError:
            form.form_errors.append(
                _("Someone else changed this text after you opened it. Reload the page to see it as it is now.")
            )
        except about.AboutError as error:
            message = ABOUT_MESSAGES.get(error.code)
            show_error(form, about.AboutError(_(message, subject=error.subject), error.field) if message else error)
        else:
            flash(_("The home page's text is saved."))
            return redirect(url_for("public.index"))
    return render_template("public/edit_about.html", form=form), 200 if not form.errors else 422


@bp.get("/feed.atom")
def feed():
    """An Atom feed of the latest interviews and items this reader may open (most recently changed first)."""
    shown = records.readable(collection(), search_index(), g.reader, FEED_ENTRIES)
    # RFC 6721: a record anyone could read before it was deleted or withdrawn is announced as deleted (its address
    # and when, never a reason: a reason may name what was taken down), unless this reader may still read it
    removed = [r for r in records.removed(collection()) if not access.can_read(g.reader, r.record)]
    root = Element("feed", {"xmlns": ATOM, "xmlns:at": TOMBSTONES})
    SubElement(root, "title").text = current_app.config["ARCHIVE_SITE_NAME"]
    SubElement(root, "id").text = url_for("public.feed", _external=True)
    SubElement(root, "link", {"rel": "self", "href": url_for("public.feed", _external=True)})
    latest = max([r.changed for r in shown[:1] + removed[:1]], default="")
    SubElement(root, "updated").text = records.utc_stamp(latest)
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
    for rec in removed[:FEED_ENTRIES]:
        endpoint, key = ("interviews.show", "interview_id") if rec.kind == "interviews" else ("media.show", "item_id")
        url = url_for(endpoint, **{key: rec.id}, _external=True)
        SubElement(root, "at:deleted-entry", {"ref": url, "when": records.utc_stamp(rec.changed)})
    return Response(xmlsafe.document(root), mimetype="application/atom+xml")
