"""Events, places and people: the timeline, a page for each with every annotated passage across the archive, and
the historian's forms to add and change them. Their URLs are the IRIs annotations link to (/events/<id>, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import access, annotations, interviews, redaction, vocab
from ..errors import CollectionError, ConflictError
from ..i18n import N_, sentence
from ..i18n import translate as _
from ..search import IndexUnavailable
from .forms.base import show_error
from .forms.entries import EntryForm
from .loaders import collection, facet_counts, items_linking, search_index, services

bp = Blueprint("entries", __name__)
KINDS = "any(events, places, people)"
TITLES = {"events": N_("Timeline"), "places": N_("Places"), "people": N_("People")}
FACET = {"events": "event", "places": "village", "people": "person"}


@dataclass
class Passage:
    """An annotated passage as an entry's page lists it."""

    interview_id: str
    title: str
    annotation_id: str
    quote: str
    note: str
    flagged: bool


def entry_or_404(kind: str, entry_id: str):
    found = vocab.lookup(collection(), kind).get(entry_id)
    if found is None:
        abort(404, N_("There is no such entry in the archive's vocabularies."))
    return found


def stored_entry(data: dict, kind: str, entry_id: str | None) -> dict:
    """The entry as written in its vocabulary file, for pages and forms."""
    return next((e for e in data[kind] if e["id"] == entry_id), {})


def readable_interview(interview_id: str) -> interviews.Interview | None:
    """The interview, when it exists and this reader may read it."""
    try:
        interview = interviews.load(collection(), interview_id)
    except CollectionError:
        return None
    return interview if access.can_read(g.reader, interview.record, f"interviews/{interview.id}") else None


def passages(kind: str, entry_id: str) -> list[Passage]:
    """Every passage linked to an entry in the interviews this viewer may read (the index finds the interviews,
    with the viewer's access applied; the annotations themselves are read from the collection)."""
    found = []
    try:
        linked = search_index().linked_to(f"{kind}/{entry_id}", g.reader)
    except IndexUnavailable:
        g.index_rebuilding = True
        return []
    for interview in filter(None, map(readable_interview, linked)):
        interview_id = interview.id
        for annotation in redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))[1]:
            if (kind, entry_id) in annotations.link_pairs(annotation):
                found.append(
                    Passage(
                        interview_id,
                        interview.title,
                        annotations.short_id(annotation),
                        annotations.selector(annotation, "TextQuoteSelector").get("exact", ""),
                        annotations.note(annotation),
                        bool(annotation.get("review")),
                    )
                )
    return found


@dataclass
class Narrator:
    """A narrator as the people page lists one: the name, its other written forms, and the interviews told."""

    name: str
    other_forms: list[str]
    interviews: list[tuple[str, str]]  # (id, title)


def narrators() -> list[Narrator]:
    """The narrators of every interview this reader may read (a restricted interview's narrator is not shown to a
    reader who may not read it), one per name, with every other form given for it."""
    found: dict[str, Narrator] = {}
    for interview in filter(None, map(readable_interview, collection().ids("interviews"))):
        for person in interview.record.get("narrators", []):
            name = (person.get("name") or "").strip()
            if not name:
                continue
            narrator = found.setdefault(name, Narrator(name, [], []))
            for form in person.get("other_forms", []):
                if form and form != name and form not in narrator.other_forms:
                    narrator.other_forms.append(form)
            narrator.interviews.append((interview.id, interview.title))
    return sorted(found.values(), key=lambda n: n.name.casefold())


def name_forms(entry, lang: str) -> list[str]:
    """A historical figure's other written forms: its labels and names, less the one the page shows it by."""
    forms = [*entry.data.get("label", {}).values(), *entry.data.get("names", [])]
    shown = entry.name(lang)
    return [f for i, f in enumerate(forms) if f and f != shown and f not in forms[:i]]


@bp.get(f"/<{KINDS}:kind>/")
def index(kind: str):
    counts = facet_counts(FACET[kind])
    entries = list(vocab.lookup(collection(), kind).values())  # events and people come in date order
    if kind == "places":
        entries.sort(key=lambda p: p.name().casefold())
    place, event_places = None, []
    if kind == "events":  # the timeline, narrowed to one place's events with ?place=<id>
        gazetteer = vocab.gazetteer(collection()).places
        used = {p for e in entries for p in e.data.get("places", [])}
        event_places = sorted((gazetteer[p] for p in used if p in gazetteer), key=lambda p: p.name(g.lang).casefold())
        place = gazetteer.get(request.args.get("place", ""))
        if place is not None:
            entries = [e for e in entries if place.id in e.data.get("places", [])]
    return render_template(
        "entries/index.html",
        kind=kind,
        title=TITLES[kind],
        entries=entries,
        counts=counts,
        staff=access.is_staff(g.viewer),
        place=place,
        event_places=event_places,
        narrators=narrators() if kind == "people" else [],
        name_forms=name_forms,
    )


@bp.get(f"/<{KINDS}:kind>/<entry_id>")
def show(kind: str, entry_id: str):
    entry = entry_or_404(kind, entry_id)
    vocabulary = vocab.load(collection(), kind).data
    gazetteer = vocab.gazetteer(collection())
    return render_template(
        "entries/show.html",
        kind=kind,
        entry=entry,
        data=stored_entry(vocabulary, kind, entry_id),
        sources=vocabulary.get("sources", {}),
        passages=passages(kind, entry_id),
        staff=access.is_staff(g.viewer),
        items=items_linking(f"{kind}/{entry_id}"),
        events=vocab.events(collection()),
        places=gazetteer.places,
        within=gazetteer.ancestors(entry) if kind == "places" else [],
        place_kinds=vocab.PLACE_KINDS,
        people=vocab.people(collection()),
    )


@bp.route(f"/<{KINDS}:kind>/new", methods=["GET", "POST"], defaults={"entry_id": None})
@bp.route(f"/<{KINDS}:kind>/<entry_id>/edit", methods=["GET", "POST"])
def edit(kind: str, entry_id: str | None):
    """Add an entry to a vocabulary, or change one; the vocabulary is versioned like every file of the archive."""
    access.require(g.viewer, "edit")
    if entry_id is not None:
        entry_or_404(kind, entry_id)
    current = vocab.load(collection(), kind)
    form = EntryForm.for_kind(kind, vocab.events(collection()), vocab.gazetteer(collection()))
    if request.method == "GET":
        form.fill(stored_entry(current.data, kind, entry_id), current.version)
    if form.validate_on_submit():
        try:
            saved = services().vocabularies.save_entry(kind, entry_id, form.entry(), g.viewer.name, form.version.data)
        except ConflictError as error:
            form.form_errors.append(
                sentence(error)
                + " "
                + _("Reload the page to see the vocabulary as it is now; what you typed is kept below.")
            )
        except vocab.VocabularyError as error:
            show_error(form, error)
        else:
            flash(_("Saved “{name}”.", name=saved["label"]["en"]))
            return redirect(url_for("entries.show", kind=kind, entry_id=saved["id"]))
    return render_template(
        "entries/edit.html", kind=kind, form=form, entry_id=entry_id, title=TITLES[kind]
    ), 200 if not form.errors else 422
