"""The audit log that the collection writes after every commit, its purge, and the groundwork of issue 16 it serves
(an interview's description edited through the service; a deleted record told apart by access.py)."""

import json

import pytest

from archive import access, audit
from archive.errors import ConflictError
from archive.metadata import MetadataError
from archive.services import services


def test_every_write_leaves_one_line_with_who_what_and_which_files(collection):
    item = collection.create("media", {"item.json": b"{}"}, "Anna Kim")
    version = collection.read("media", item, "item.json").version
    collection.write(
        "media",
        item,
        {"item.json": b"[]", "note.txt": b"x"},
        "boris",
        {"item.json": version, "note.txt": None},
        action="edited",
    )
    collection.update("media", item, ["note.txt"], lambda current: {"note.txt": None}, "boris")
    lines = [e for e in audit.entries(collection.root) if e.record == f"media/{item}"]
    assert [(e.author, e.action, e.files) for e in lines] == [
        ("Anna Kim", "created", {"item.json": "added"}),
        ("boris", "edited", {"item.json": "changed", "note.txt": "added"}),
        ("boris", "", {"note.txt": "removed"}),
    ]
    assert lines[0].time < lines[1].time < lines[2].time


def test_a_refused_write_leaves_no_line(collection):
    item = collection.create("media", {"item.json": b"{}"}, "anna")
    with pytest.raises(ConflictError):
        collection.write("media", item, {"item.json": b"[]"}, "boris", {"item.json": "0" * 64})
    assert len([e for e in audit.entries(collection.root) if e.record == f"media/{item}"]) == 1


def test_purge_keeps_only_when_and_who_of_the_record_and_says_purged(collection):
    kept = collection.create("media", {"item.json": b"{}"}, "anna", action="created")
    gone = collection.create("media", {"item.json": b"{}"}, "anna", action="created")
    audit.purge(collection.root, f"media/{gone}", "2026-12-01T10:00:00.000000Z", "admin")
    lines = list(audit.entries(collection.root))
    assert [e.as_json() for e in lines if e.record == f"media/{gone}"][-1] == {
        "time": "2026-12-01T10:00:00.000000Z",
        "author": "admin",
        "record": f"media/{gone}",
        "action": "purged",
    }
    assert all(not e.files and e.action in ("", "purged") for e in lines if e.record == f"media/{gone}")
    assert [e.action for e in lines if e.record == f"media/{kept}"] == ["created"]
    raw = (collection.root / "audit" / "log.jsonl").read_text("utf-8")
    assert "item.json" in raw and raw.count("item.json") == 1  # the kept record's line alone names its files


def test_a_line_cut_by_a_crash_is_skipped(collection):
    collection.create("media", {"item.json": b"{}"}, "anna")
    with open(collection.root / "audit" / "log.jsonl", "a", encoding="utf-8") as f:
        f.write('{"time": "2026')
    assert len(list(audit.entries(collection.root))) == 1


def test_the_mark_moves_with_each_line_and_since_gives_the_whole_lines_after_it(collection):
    assert audit.mark(collection.root) is None
    first = collection.create("media", {"item.json": b"{}"}, "anna")
    mark = audit.mark(collection.root)
    second = collection.create("media", {"item.json": b"{}"}, "anna")
    later = audit.mark(collection.root)
    assert later != mark and later[0] == mark[0] and later[1] > mark[1]
    entries, offset = audit.since(collection.root, mark[1])
    assert [e.record for e in entries] == [f"media/{second}"] and offset == later[1]
    with open(collection.root / "audit" / "log.jsonl", "a", encoding="utf-8") as f:
        f.write('{"time": "2026')  # a line still being written is left for the next call
    assert audit.since(collection.root, offset) == ([], offset)
    assert [e.record for e in audit.since(collection.root, 0)[0]] == [f"media/{first}", f"media/{second}"]
    audit.purge(collection.root, f"media/{first}", "2026-12-01T10:00:00.000000Z", "admin")
    assert audit.mark(collection.root)[0] != later[0]  # a purge rewrites the log: another file


def test_an_interview_edited_through_its_service_keeps_what_ingest_wrote(app, sample_collection):
    interview_id = next(
        i
        for i in sample_collection.ids("interviews")
        if sample_collection.read("interviews", i, "interview.json").json()["access"] == "public"
    )
    with app.app_context():
        stored = json.loads(sample_collection.read("interviews", interview_id, "interview.json").data)
        version = sample_collection.read("interviews", interview_id, "interview.json").version
        edited = services().interviews.edit(
            interview_id, {**stored, "title": "A corrected title", "source": "forged"}, "historian", version
        )
        assert edited.record["title"] == "A corrected title"
        assert edited.record["source"] == stored["source"]  # an edit never changes where the file came from
        hits = app.extensions["search"].query("corrected", {}, access.Reader(), 1)
        assert [hit.id for hit in hits.hits] == [interview_id]
        with pytest.raises(ConflictError):
            services().interviews.edit(interview_id, {**stored, "title": "Stale"}, "other", version)
        with pytest.raises(MetadataError) as refused:
            services().interviews.edit(interview_id, {**stored, "title": "", "date": "soon"}, "x", edited.version)
        assert set(refused.value.errors) == {"title", "date"}
    assert [e.action for e in audit.entries(sample_collection.root) if e.record == f"interviews/{interview_id}"] == [
        "edited"
    ]


def test_a_deleted_record_is_read_by_nobody_and_gone_only_for_who_could_read_it():
    staff = access.Reader(type("U", (), {"is_staff": True})())
    public = {"access": "public", "deleted": {"time": "2026-12-01T10:00:00Z", "author": "anna"}}
    restricted = {"access": "staff", "deleted": {"time": "2026-12-01T10:00:00Z", "author": "anna"}}
    assert not access.can_read(staff, public) and not access.can_read(None, public)
    assert access.gone(None, public) and access.gone(staff, public)
    assert access.gone(staff, restricted) and not access.gone(None, restricted)
    assert not access.gone(None, {"access": "public"})


def test_each_kind_of_change_to_an_interview_names_its_action(app, sample_collection):
    from archive import interviews

    interview_id = "1s12p03r"
    with app.app_context():
        body = services().annotations.bodies({}, [], "a note")
        made = services().annotations.create(interview_id, 0, 10, body, "anna")
        services().annotations.delete(interview_id, made["id"], access_version(made), "anna")
        segments = sample_collection.read("interviews", interview_id, "segments.json")
        first = interviews.segments(sample_collection, interview_id)[0]
        services().transcripts.correct_segment(
            interview_id, first["n"], first["text"] + " (sic)", "boris", segments.version
        )
    actions = [e.action for e in audit.entries(sample_collection.root) if e.record == f"interviews/{interview_id}"]
    assert actions == ["annotation-added", "annotation-removed", "corrected-transcript"]


def access_version(annotation):
    from archive import annotations

    return annotations.version(annotation)
