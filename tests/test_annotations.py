"""Annotations as W3C Web Annotations: made, edited, deleted with history, re-anchored after corrections, exported
and imported exactly."""

import json

import pytest

from archive import annotations, interviews, transcripts
from archive.errors import ConflictError

INTERVIEW = "x3w3seda"  # the sample txt interview: Tsoi Anna Petrovna, from Posyet to Ushtobe


def text_of(collection, interview_id=INTERVIEW):
    return interviews.transcript_text(interviews.segments(collection, interview_id))[0]


def annotate(collection, words, author="hist", places=("posyet",), note=""):
    text = text_of(collection)
    start = text.index(words)
    body = annotations.bodies(collection, {"places": list(places)}, [], note)
    return annotations.create(collection, INTERVIEW, start, start + len(words), body, author)


def quoted(annotation):
    return annotations.selector(annotation, "TextQuoteSelector")["exact"]


def test_an_annotation_is_a_web_annotation_with_quote_position_and_bodies(sample_collection):
    made = annotate(sample_collection, "в Посьетском районе", note="Birthplace named by the narrator.")
    stored = json.loads(sample_collection.read("interviews", INTERVIEW, "annotations.json").data)
    assert stored["type"] == "AnnotationCollection" and stored["total"] == 1
    annotation = stored["first"]["items"][0]
    assert annotation == made
    assert annotation["id"].startswith("urn:uuid:") and annotation["type"] == "Annotation"
    assert annotation["creator"] == {"type": "Person", "name": "hist"}
    assert annotation["created"] == annotation["modified"]
    q = annotations.selector(annotation, "TextQuoteSelector")
    position = annotations.selector(annotation, "TextPositionSelector")
    assert q["exact"] == "в Посьетском районе"
    assert text_of(sample_collection)[position["start"] : position["end"]] == q["exact"]
    assert text_of(sample_collection).endswith(q["suffix"], 0, position["end"] + len(q["suffix"]))
    assert annotation["target"]["source"] == f"/interviews/{INTERVIEW}"
    assert {"type": "SpecificResource", "source": "/places/posyet", "purpose": "tagging"} in annotation["body"]
    assert annotations.note(annotation) == "Birthplace named by the narrator."


def test_a_timed_segment_gives_a_media_fragment_and_an_untimed_one_none(sample_collection):
    segments = interviews.segments(sample_collection, INTERVIEW)
    timed = next(s for s in segments[1:] if s["start"] is not None)
    untimed = next(s for s in segments if s["start"] is None)
    made = annotate(sample_collection, timed["text"][:30])
    fragment = annotations.selector(made, "FragmentSelector")
    assert fragment["conformsTo"] == "http://www.w3.org/TR/media-frags/"
    following = segments[segments.index(timed) + 1]["start"]
    assert fragment["value"] == f"t={timed['start']:g}" + (f",{following:g}" if following is not None else "")
    assert annotations.selector(annotate(sample_collection, untimed["text"][:30]), "FragmentSelector") == {}


@pytest.mark.parametrize(
    "chosen, tags, note, message",
    [
        ({"events": ["no-such-event"]}, [], "", "no event 'no-such-event'"),
        ({"places": ["atlantis"]}, [], "", "no place 'atlantis'"),
        ({"people": ["nobody"]}, [], "", "no person 'nobody'"),
        ({}, [], "  ", "at least one"),
        ({}, ["x" * 81], "", "at most 20 tags"),
    ],
)
def test_bodies_refuse_what_the_vocabularies_do_not_know(sample_collection, chosen, tags, note, message):
    with pytest.raises(annotations.AnnotationError, match=message):
        annotations.bodies(sample_collection, chosen, tags, note)


def test_a_span_outside_the_transcript_or_of_spaces_is_refused(sample_collection):
    body = annotations.bodies(sample_collection, {"places": ["posyet"]}, [], "")
    with pytest.raises(annotations.AnnotationError, match="not within the transcript"):
        annotations.create(sample_collection, INTERVIEW, 10, 10**7, body, "hist")
    space = text_of(sample_collection).index(" ")
    with pytest.raises(annotations.AnnotationError, match="not only spaces"):
        annotations.create(sample_collection, INTERVIEW, space, space + 1, body, "hist")
    assert not (sample_collection.folder("interviews", INTERVIEW) / "annotations.json").exists()


def test_edit_and_delete_keep_history_and_refuse_stale_versions(sample_collection):
    made = annotate(sample_collection, "Помню ондоль")
    old_version = annotations.version(made)
    body = annotations.bodies(sample_collection, {"places": ["posyet"]}, ["ondol"], "")
    edited = annotations.edit(sample_collection, INTERVIEW, annotations.short_id(made), old_version, body, "other")
    assert annotations.tags(edited) == ["ondol"] and edited["created"] == made["created"]
    with pytest.raises(annotations.AnnotationConflict, match="changed this annotation"):
        annotations.edit(sample_collection, INTERVIEW, made["id"], old_version, body, "hist")
    annotations.delete(sample_collection, INTERVIEW, made["id"], annotations.version(edited), "hist")
    assert annotations.items(sample_collection, INTERVIEW) == []
    with pytest.raises(annotations.AnnotationConflict, match="deleted"):
        annotations.delete(sample_collection, INTERVIEW, made["id"], annotations.version(edited), "hist")
    kept = [
        json.loads(sample_collection.folder("interviews", INTERVIEW).joinpath(entry.path).read_bytes())
        for entry in sample_collection.history("interviews", INTERVIEW, "annotations.json")
    ]
    assert any(a.get("first", {}).get("items") == [edited] for a in kept)
    assert any(a.get("first", {}).get("items") == [made] for a in kept)
    assert list(sample_collection.verify()) == []


def correct(collection, n, new_text):
    version = collection.read("interviews", INTERVIEW, "segments.json").version
    return transcripts.correct_segment(collection, INTERVIEW, n, new_text, "hist", version)


def test_annotations_reanchor_on_the_same_words_after_a_correction_shifts_the_text(sample_collection):
    segments = interviews.segments(sample_collection, INTERVIEW)
    later = annotate(sample_collection, "Помню ондоль, тёплый пол")
    doomed = annotate(sample_collection, "в деревне у самого моря")
    first = segments[1]
    # a correction earlier in the transcript: words inserted before both passages and the second one's words removed
    corrected = "Уточнение интервьюера, вставленное при проверке. " + first["text"].replace(
        "в деревне у самого моря", "в селе"
    )
    flagged = correct(sample_collection, first["n"], corrected)
    assert [a["id"] for a in flagged] == [doomed["id"]]
    stored = {a["id"]: a for a in annotations.items(sample_collection, INTERVIEW)}
    text = text_of(sample_collection)
    start, end = annotations.span(stored[later["id"]])
    assert text[start:end] == "Помню ондоль, тёплый пол"
    assert start > annotations.span(later)[0]  # it moved with the inserted words
    assert annotations.span(stored[doomed["id"]]) is None  # flagged, still stored, with its words and bodies
    assert stored[doomed["id"]]["review"]["reason"].startswith("The annotated words are not")
    assert quoted(stored[doomed["id"]]) == "в деревне у самого моря"
    assert stored[doomed["id"]]["body"] == doomed["body"]
    # putting the words back anchors it again
    correct(sample_collection, first["n"], first["text"])
    again = {a["id"]: a for a in annotations.items(sample_collection, INTERVIEW)}[doomed["id"]]
    assert "review" not in again and text_of(sample_collection)[slice(*annotations.span(again))] == quoted(doomed)


def test_a_repeated_quote_reanchors_by_its_context(sample_collection):
    text = text_of(sample_collection)
    word = "мы"
    occurrences = [i for i in range(len(text)) if text.startswith(f" {word} ", i)]
    assert len(occurrences) >= 2
    third = occurrences[-1] + 1
    body = annotations.bodies(sample_collection, {"places": ["posyet"]}, [], "")
    made = annotations.create(sample_collection, INTERVIEW, third, third + len(word), body, "hist")
    correct(sample_collection, 1, "Короче. " + interviews.segments(sample_collection, INTERVIEW)[0]["text"])
    moved = annotations.items(sample_collection, INTERVIEW)[0]
    new_text = text_of(sample_collection)
    start, end = annotations.span(moved)
    assert new_text[start - 32 : end + 32] == text[third - 32 : third + len(word) + 32]
    assert annotations.span(made) != (start, end)


def test_a_stale_correction_is_refused_and_writes_nothing(sample_collection):
    stale = sample_collection.read("interviews", INTERVIEW, "segments.json").version
    correct(sample_collection, 1, "Первая правка.")
    with pytest.raises(ConflictError):
        transcripts.correct_segment(sample_collection, INTERVIEW, 1, "Вторая правка.", "other", stale)
    assert interviews.segments(sample_collection, INTERVIEW)[0]["text"] == "Первая правка."


def test_export_and_import_round_trip_exactly(sample_collection, tmp_path):
    annotate(sample_collection, "Помню ондоль", note="Heated floor; a Korean house.")
    annotate(sample_collection, "в Посьетском районе", places=("posyet", "posyet-district"))
    exported = annotations.export(sample_collection, INTERVIEW)
    document = json.loads(json.dumps(exported))
    for annotation in list(annotations.items(sample_collection, INTERVIEW)):
        annotations.delete(sample_collection, INTERVIEW, annotation["id"], annotations.version(annotation), "hist")
    assert annotations.import_collection(sample_collection, INTERVIEW, document, "hist") == {"added": 2, "replaced": 0}
    assert annotations.export(sample_collection, INTERVIEW) == exported
    assert annotations.import_collection(sample_collection, INTERVIEW, document, "hist") == {"added": 0, "replaced": 2}
    assert annotations.export(sample_collection, INTERVIEW) == exported


def test_import_refuses_a_collection_that_does_not_fit_and_changes_nothing(sample_collection):
    annotate(sample_collection, "Помню ондоль")
    before = sample_collection.read("interviews", INTERVIEW, "annotations.json").data
    document = annotations.export(sample_collection, INTERVIEW)
    good = document["first"]["items"][0]
    wrong_words = json.loads(json.dumps(good))
    wrong_words["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    annotations.selector(wrong_words, "TextQuoteSelector")["exact"] = "слова, которых нет"
    annotations.selector(wrong_words, "TextPositionSelector")["start"] = 0
    cases = [
        ({"type": "Annotation"}, "AnnotationCollection"),
        ({"type": "AnnotationCollection", "first": {"items": [good, wrong_words]}}, "not in the transcript"),
        ({"type": "AnnotationCollection", "first": {"items": [good, good]}}, "same annotation id twice"),
        ({"type": "AnnotationCollection", "first": {"items": [dict(good, id="x")]}}, "urn:uuid"),
    ]
    for document, message in cases:
        with pytest.raises(annotations.AnnotationError, match=message):
            annotations.import_collection(sample_collection, INTERVIEW, document, "hist")
    assert sample_collection.read("interviews", INTERVIEW, "annotations.json").data == before


def test_the_command_line_exports_and_imports_exactly(sample_collection, runner, tmp_path):
    annotate(sample_collection, "Помню ондоль", note="Heated floor.")
    target = tmp_path / "notes.jsonld"
    result = runner("annotations", "export", INTERVIEW, "-o", str(target))
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text("utf-8"))
    assert exported == annotations.export(sample_collection, INTERVIEW)
    made = exported["first"]["items"][0]
    annotations.delete(sample_collection, INTERVIEW, made["id"], annotations.version(made), "hist")
    result = runner("annotations", "import", INTERVIEW, str(target))
    assert result.exit_code == 0 and "1 added, 0 replaced" in result.output
    assert runner("annotations", "export", INTERVIEW).stdout == target.read_text("utf-8")
    target.write_text("{not json", "utf-8")
    failed = runner("annotations", "import", INTERVIEW, str(target))
    assert failed.exit_code == 1 and "is not JSON" in failed.output
    missing = runner("annotations", "export", "ZZZZZZZZ")
    assert missing.exit_code == 1 and "is not an identifier" in missing.output
    missing = runner("annotations", "export", "abcdefgh")
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_an_import_whose_positions_are_off_is_anchored_by_its_quote(sample_collection):
    made = annotate(sample_collection, "Помню ондоль")
    document = annotations.export(sample_collection, INTERVIEW)
    annotations.delete(sample_collection, INTERVIEW, made["id"], annotations.version(made), "hist")
    moved = document["first"]["items"][0]
    annotations.selector(moved, "TextPositionSelector").update(start=3, end=15)
    annotations.import_collection(sample_collection, INTERVIEW, document, "hist")
    stored = annotations.items(sample_collection, INTERVIEW)[0]
    assert annotations.span(stored) == annotations.span(made) and stored["id"] == made["id"]
