"""A record's history (issue 16): its versions with what each changed, an earlier version read back and restored as a
new version, the history pages for staff alone, the audit log page for admins alone, and `archive log`."""

import json
import re

import pytest
from conftest import csrf_token
from factories import wav

from archive import access, audit, history, interviews
from archive.services import services

INTERVIEW = "1s12p03r"  # a public sample interview
ITEM = "2kfh28sh"  # a public sample item


def _stored(collection, kind, record_id, name):
    stored = collection.read(kind, record_id, name)
    return json.loads(stored.data), stored.version


def _three_changes(app, collection):
    """An edit of the description, a correction of passage 2, and an annotation: three versions after ingest's."""
    with app.app_context():
        record, version = _stored(collection, "interviews", INTERVIEW, "interview.json")
        services().interviews.edit(
            INTERVIEW,
            {**record, "title": "A corrected title", "keywords": [*record.get("keywords", []), "fishing boats"]},
            "Anna Historian",
            version,
        )
        segments, version = _stored(collection, "interviews", INTERVIEW, "segments.json")
        old_text = segments[1]["text"]
        words = old_text.split()
        words[1] = "CORRECTED"
        services().transcripts.correct_segment(INTERVIEW, 2, " ".join(words), "Boris Editor", version)
        full = interviews.transcript_text(interviews.segments(collection, INTERVIEW))[0]
        body = services().annotations.bodies({}, [], "a note on the passage")
        services().annotations.create(INTERVIEW, 0, 10, body, "Anna Historian")
    return old_text, " ".join(words), full


def test_versions_say_who_what_and_which_fields_and_words_changed(app, sample_collection):
    old_text, new_text, _full = _three_changes(app, sample_collection)
    with app.app_context():
        found = services().history.versions("interviews", INTERVIEW)
    assert len(found) == 4  # ingest, the edit, the correction, the annotation
    times = [v.time for v, _s in found]
    assert times == sorted(times) and [v.number for v, _s in found] == [1, 2, 3, 4]
    (ingest, _), (edit, edited), (fix, fixed), (note, noted) = found
    assert edit.author == "Anna Historian" and edit.action == "edited" and edit.files == {"interview.json": "changed"}
    titles = [c for c in edited.fields if c.field == "title"]
    assert titles and titles[0].after == "A corrected title" and titles[0].before != "A corrected title"
    keywords = next(c for c in edited.fields if c.field == "keywords")
    assert keywords.after.endswith("; fishing boats") and "fishing boats" not in keywords.before
    assert {c.field for c in edited.fields} == {"title", "keywords"}  # nothing else is said to have changed
    assert fix.author == "Boris Editor" and "segments.json" in fix.files
    (passage,) = fixed.segments
    assert passage.n == 2 and passage.change == "changed"
    assert passage.before.endswith(old_text) and passage.after.endswith(new_text)
    assert ("ins", "CORRECTED") in passage.words and ("del", old_text.split()[1]) in passage.words
    assert note.files == {"annotations.json": "added"}
    assert noted.files[0].name == "annotations.json" and noted.files[0].size > 0
    assert (
        ingest.files["interview.json"] == "added" and ingest.action == "created"
    )  # older than the audit log: the first


def test_an_earlier_version_is_read_back_and_restored_as_a_new_version(app, sample_collection):
    original_title = sample_collection.read("interviews", INTERVIEW, "interview.json").json()["title"]
    old_text, new_text, _full = _three_changes(app, sample_collection)
    with app.app_context():
        first = services().history.versions("interviews", INTERVIEW)[0][0]
        shown = services().history.version("interviews", INTERVIEW, first.stamp)
        assert shown.record["title"] == original_title and shown.segments[1]["text"] == old_text
        assert not shown.current
        made = services().history.restore("interviews", INTERVIEW, first.stamp, "Clara Admin")
        found = services().history.versions("interviews", INTERVIEW)
    assert made.number == 5 and made.action == "restored" and made.author == "Clara Admin"
    assert set(made.files) == {"interview.json", "segments.json", "annotations.json"}
    assert made.files["annotations.json"] == "removed"  # made after that version: removed, and kept in history
    record = sample_collection.read("interviews", INTERVIEW, "interview.json").json()
    assert record["title"] == original_title
    assert sample_collection.read("interviews", INTERVIEW, "segments.json").json()[1]["text"] == old_text
    assert len(found) == 5  # nothing lost: every version is still there, and can be read back
    with app.app_context():
        edited = services().history.version("interviews", INTERVIEW, found[1][0].stamp)
        noted = services().history.version("interviews", INTERVIEW, found[3][0].stamp)
    assert edited.record["title"] == "A corrected title" and noted.segments[1]["text"] == new_text
    restored_summary = found[4][1]
    assert next(c for c in restored_summary.fields if c.field == "title").after == original_title
    assert not app.extensions["search"].query('"corrected title"', {}, access.Reader(), 1).hits
    assert [e.action for e in audit.entries(sample_collection.root) if e.record == f"interviews/{INTERVIEW}"][-1] == (
        "restored"
    )


def test_search_finds_the_restored_title(app, sample_collection):
    with app.app_context():
        for title in ("The zebrafinch testimony", "A plainer title"):
            record, version = _stored(sample_collection, "interviews", INTERVIEW, "interview.json")
            services().interviews.edit(INTERVIEW, {**record, "title": title}, "anna", version)
        search = app.extensions["search"]
        assert not search.query("zebrafinch", {}, access.Reader(), 1).hits
        named = services().history.versions("interviews", INTERVIEW)[-2][0]
        services().history.restore("interviews", INTERVIEW, named.stamp, "anna")
        assert [hit.id for hit in search.query("zebrafinch", {}, access.Reader(), 1).hits] == [INTERVIEW]
        assert not search.query("plainer", {}, access.Reader(), 1).hits


def test_a_restore_takes_away_a_recording_added_since_and_keeps_it_in_history(app, sample_collection, tmp_path):
    with app.app_context():
        before = services().history.versions("interviews", INTERVIEW)[-1][0]
        recording = tmp_path / "tape.wav"
        recording.write_bytes(wav(8000))
        services().recordings.add(INTERVIEW, [(recording, "tape.wav")], "Anna Historian")
        added = services().history.versions("interviews", INTERVIEW)[-1]
        (name,) = [n for n in added[0].files if n.startswith("original/recording-")]
        assert added[0].files[name] == "added" and any(f.name == name and f.size > 0 for f in added[1].files)
        made = services().history.restore("interviews", INTERVIEW, before.stamp, "Anna Historian")
        assert made.files[name] == "removed"
        assert not (sample_collection.folder("interviews", INTERVIEW) / name).exists()
        again = services().history.restore("interviews", INTERVIEW, added[0].stamp, "Anna Historian")
    assert again.files[name] == "added"
    assert sample_collection.read("interviews", INTERVIEW, name).data == recording.read_bytes()
    assert "recordings" in sample_collection.read("interviews", INTERVIEW, "interview.json").json()
    assert list(sample_collection.verify()) == []


def test_the_current_version_a_deleted_record_and_an_unknown_version_are_not_restored(app, sample_collection):
    _three_changes(app, sample_collection)
    with app.app_context():
        found = services().history.versions("interviews", INTERVIEW)
        with pytest.raises(history.HistoryError) as current:
            services().history.restore("interviews", INTERVIEW, found[-1][0].stamp, "anna")
        assert current.value.code == "current"
        with pytest.raises(history.HistoryError) as missing:
            services().history.restore("interviews", INTERVIEW, "2001-01-01T00-00-00.000000Z", "anna")
        assert missing.value.code == "no-version"
        record, version = _stored(sample_collection, "interviews", INTERVIEW, "interview.json")
        _delete(sample_collection, "interviews", INTERVIEW)
        with pytest.raises(history.HistoryError) as deleted:
            services().history.restore("interviews", INTERVIEW, found[0][0].stamp, "anna")
        assert deleted.value.code == "deleted"
    assert sample_collection.read("interviews", INTERVIEW, "interview.json").json()["deleted"]


def _delete(collection, kind, record_id, purged=False):
    """Stand-in for the "tomb" branch's delete (and, roughly, its purge's tombstone): the record gains `deleted`
    (and `purged`), written with the action "deleted"."""
    name = history.DESCRIPTION[kind]
    record, version = _stored(collection, kind, record_id, name)
    record["deleted"] = {"time": "2026-12-01T10:00:00.000000Z", "author": "clara", "reason": ""}
    if purged:
        record["purged"] = True
    data = json.dumps(record, ensure_ascii=False).encode()
    collection.write(kind, record_id, {name: data}, "clara", {name: version}, action="deleted")


def test_a_restore_keeps_what_only_deletion_and_consent_decide(app, sample_collection):
    """Going back to a version from before a withdrawal never gives consent back."""
    with app.app_context():
        record, version = _stored(sample_collection, "interviews", INTERVIEW, "interview.json")
        withdrawn = {**record, "withdrawn": {"time": "2026-12-01T10:00:00Z"}}
        sample_collection.write(
            "interviews",
            INTERVIEW,
            {"interview.json": json.dumps(withdrawn).encode()},
            "family",
            {"interview.json": version},
        )
        first = services().history.versions("interviews", INTERVIEW)[0][0]
        services().history.restore("interviews", INTERVIEW, first.stamp, "anna")
    restored = sample_collection.read("interviews", INTERVIEW, "interview.json").json()
    assert restored["withdrawn"] == {"time": "2026-12-01T10:00:00Z"}
    assert {k: v for k, v in restored.items() if k != "withdrawn"} == record


def test_a_media_item_history_and_restore(app, sample_collection):
    with app.app_context():
        record, version = _stored(sample_collection, "media", ITEM, "item.json")
        title = record["title"]
        raw = {k: v for k, v in record.items() if k not in ("source", "technical", "pages", "derived")}
        services().media.edit(ITEM, {**raw, "title": "Renamed photograph"}, "Anna Historian", version)
        found = services().history.versions("media", ITEM)
        assert [v.files for v, _s in found][-1] == {"item.json": "changed"}
        change = next(c for c in found[-1][1].fields if c.field == "title")
        assert (change.before, change.after) == (title, "Renamed photograph")
        made = services().history.restore("media", ITEM, found[0][0].stamp, "Anna Historian")
    assert made.files == {"item.json": "changed"}
    assert sample_collection.read("media", ITEM, "item.json").json()["title"] == title
    hits = app.extensions["search"].query("Renamed", {}, access.Reader(), 1)
    assert f"media/{ITEM}" not in [h.id for h in hits.hits]


# --- pages ---------------------------------------------------------------------------------------------------------


def test_history_pages_show_versions_to_staff_and_nothing_to_others(app, client, auth, sample_collection):
    old_text, new_text, _full = _three_changes(app, sample_collection)
    urls = [f"/interviews/{INTERVIEW}/history", f"/media/{ITEM}/history"]
    for url in urls:
        assert client.get(url).status_code == 404  # anonymous
    auth.login("researcher")
    for url in urls:
        assert client.get(url).status_code == 404
    auth.logout()
    auth.login("historian")
    page = client.get(urls[0]).get_data(as_text=True)
    assert "A corrected title" in page and "Anna Historian" in page and "Boris Editor" in page
    assert "<ins>CORRECTED</ins>" in page and f"<del>{old_text.split()[1]}</del>" in page
    assert "Edited" in page and "style=" not in page
    assert client.get(urls[1]).status_code == 200
    show = client.get(f"/interviews/{INTERVIEW}").get_data(as_text=True)
    assert f'href="/interviews/{INTERVIEW}/history"' in show


def test_a_version_page_shows_the_record_as_it_was_and_restores_it(app, client, auth, sample_collection):
    original_title = sample_collection.read("interviews", INTERVIEW, "interview.json").json()["title"]
    old_text, _new_text, _full = _three_changes(app, sample_collection)
    auth.login("historian")
    page = client.get(f"/interviews/{INTERVIEW}/history").get_data(as_text=True)
    stamps = re.findall(rf'href="/interviews/{INTERVIEW}/history/([^"]+)"', page)
    assert len(stamps) == 4
    first = stamps[-1]  # the page lists the newest first
    view = client.get(f"/interviews/{INTERVIEW}/history/{first}")
    text = view.get_data(as_text=True)
    assert original_title.replace("(", "").split()[1] in text and old_text.split()[2] in text
    assert "data-confirm=" in text
    url = f"/interviews/{INTERVIEW}/history/{first}/restore"
    assert client.post(url).status_code == 400  # no CSRF token
    assert sample_collection.read("interviews", INTERVIEW, "interview.json").json()["title"] == "A corrected title"
    answer = client.post(url, data={"csrf_token": csrf_token(view)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/interviews/{INTERVIEW}/history")
    assert sample_collection.read("interviews", INTERVIEW, "interview.json").json()["title"] == original_title
    assert client.get(f"/interviews/{INTERVIEW}/history/2001-01-01T00-00-00.000000Z").status_code == 404
    auth.logout()
    auth.login("researcher")
    assert client.get(f"/interviews/{INTERVIEW}/history/{first}").status_code == 404
    assert client.post(url, data={"csrf_token": csrf_token(client.get("/"))}).status_code == 404


def test_a_deleted_record_history_is_read_by_staff_but_not_restored(app, client, auth, sample_collection):
    _three_changes(app, sample_collection)
    _delete(sample_collection, "interviews", INTERVIEW)
    assert client.get(f"/interviews/{INTERVIEW}/history").status_code == 404
    auth.login("historian")
    page = client.get(f"/interviews/{INTERVIEW}/history").get_data(as_text=True)
    assert "A corrected title" in page and "Deleted" in page
    first = re.findall(rf'href="/interviews/{INTERVIEW}/history/([^"]+)"', page)[-1]
    view = client.get(f"/interviews/{INTERVIEW}/history/{first}")
    assert view.status_code == 200 and "/restore" not in view.get_data(as_text=True)
    token = csrf_token(client.get("/"))
    client.post(f"/interviews/{INTERVIEW}/history/{first}/restore", data={"csrf_token": token})
    assert sample_collection.read("interviews", INTERVIEW, "interview.json").json()["deleted"]


# --- the audit log -------------------------------------------------------------------------------------------------


def test_the_audit_page_is_for_admins_alone(app, client, auth, sample_collection):
    _three_changes(app, sample_collection)
    anonymous = client.get("/audit/")
    assert anonymous.status_code == 302 and "/auth/signin" in anonymous.headers["Location"]
    for role in ("researcher", "historian"):
        auth.login(role)
        assert client.get("/audit/").status_code == 403
        assert 'href="/audit/"' not in client.get("/").get_data(as_text=True)
        auth.logout()
    auth.login("admin")
    page = client.get("/audit/").get_data(as_text=True)
    assert 'href="/audit/"' in client.get("/").get_data(as_text=True)
    assert "Anna Historian" in page and "Boris Editor" in page
    assert f'href="/interviews/{INTERVIEW}/history"' in page


def test_the_audit_page_filters_and_pages(app, client, auth, collection):
    made = [collection.create("media", {"item.json": b"{}"}, "anna") for _ in range(3)]
    for n in range(60):
        item = made[n % 3]
        version = collection.read("media", item, "item.json").version
        who = "boris" if n % 2 else "anna"
        collection.write("media", item, {"item.json": f'{{"n": {n}}}'.encode()}, who, {"item.json": version}, "edited")
    auth.login("admin")
    first = client.get("/audit/")
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert "63 changes" in text and "Page 1 of 2" in text and 'rel="next"' in first.headers["Link"]
    assert text.count("<tr>") == 1 + 50
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 13 and "Created" in second  # the oldest last
    by_boris = client.get("/audit/?author=Boris").get_data(as_text=True)
    assert "30 changes" in by_boris and "anna" not in by_boris.split("<tbody>")[1]
    one = client.get(f"/audit/?record=media/{made[0]}&action=created").get_data(as_text=True)
    assert "1 change," in one and made[1] not in one.split("<tbody>")[1]
    assert "0 changes" in client.get("/audit/?until=2000-01-01").get_data(as_text=True)
    today = audit.entries(collection.root).__next__().time[:10]
    assert "63 changes" in client.get(f"/audit/?since={today}&until={today}").get_data(as_text=True)
    odd = client.get("/audit/?since=yesterday")
    assert odd.status_code == 200 and "YYYY-MM-DD" in odd.get_data(as_text=True)


def test_archive_log_prints_and_filters_oldest_first(app, runner, collection):
    item = collection.create("media", {"item.json": b"{}"}, "Anna Kim")
    version = collection.read("media", item, "item.json").version
    collection.write("media", item, {"item.json": b"[]"}, "boris", {"item.json": version}, action="edited")
    other = collection.create("media", {"item.json": b"{}"}, "boris")
    result = runner("log")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [(f[1], f[2], f[3]) for f in lines] == [
        ("Anna Kim", "created", f"media/{item}"),
        ("boris", "edited", f"media/{item}"),
        ("boris", "created", f"media/{other}"),
    ]
    assert lines[1][4] == "item.json changed"
    assert [f[0] for f in lines] == sorted(f[0] for f in lines)
    by_author = runner("log", "--author", "BORIS").output.splitlines()
    assert len(by_author) == 2
    assert len(runner("log", "--record", f"media/{item}").output.splitlines()) == 2
    assert len(runner("log", "--record", other, "--action", "created").output.splitlines()) == 1
    assert runner("log", "--until", "2000-01-01").output == ""
    today = lines[0][0][:10]
    assert len(runner("log", "--since", today).output.splitlines()) == 3
    bad = runner("log", "--since", "soon")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_a_purged_record_has_no_history_page_nor_link(app, client, auth, sample_collection):
    _three_changes(app, sample_collection)
    _delete(sample_collection, "media", ITEM, purged=True)
    with app.app_context():
        with pytest.raises(history.HistoryError) as refused:
            services().history.restore("media", ITEM, services().history.versions("media", ITEM)[0][0].stamp, "a")
    assert refused.value.code == "purged"
    auth.login("admin")
    assert client.get(f"/media/{ITEM}/history").status_code == 404
    page = client.get("/audit/").get_data(as_text=True)
    assert f"media/{ITEM}" in page and f'href="/media/{ITEM}/history"' not in page
    assert f'href="/interviews/{INTERVIEW}/history"' in page
