"""The CSV round trip of every interview and item (export, import with its dry run, apply), bulk changes and the
staff's list of records: through the real services, a real Whoosh index and real files."""

import csv
import io
import json

import pytest
from conftest import csrf_token

from archive import access, audit, spreadsheets
from archive.services import services

PUBLIC_INTERVIEW = "1s12p03r"  # Pavel Kim, public
RESEARCHERS_ITEM = "452pad32"


def sheet(app) -> str:
    with app.app_context():
        return spreadsheets.export_text(services().collection)


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix(spreadsheets.BOM), newline="")))


def written(rows: list[dict], columns: list[str] | None = None) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns or list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (spreadsheets.BOM + out.getvalue()).encode("utf-8")


def row_for(rows: list[dict], record_id: str) -> dict:
    return next(r for r in rows if r["id"] == record_id)


def stored(collection, kind: str, record_id: str) -> dict:
    return json.loads(collection.read(kind, record_id, spreadsheets.FILES[kind]).data)


def edit_interview(app, store, interview_id: str, **changes) -> None:
    with app.app_context():
        current = store.read("interviews", interview_id, "interview.json")
        services().interviews.edit(interview_id, {**current.json(), **changes}, "setup", current.version)


@pytest.fixture
def awkward(app, sample_collection):
    """The samples with values a sheet must carry whole: quotes, a `;` inside a list item and inside text, a newline,
    a backslash, Cyrillic and Hangul, an extra field."""
    edit_interview(
        app,
        sample_collection,
        PUBLIC_INTERVIEW,
        title='Pavel Kim: "the train" (Павел; 파벨)',
        description="First line; with a semicolon.\nSecond line, after a newline.",
        keywords=["rice; millet", "back\\slash", "кукуруза", "옥수수"],
        extra={"box": "B-7; shelf 2", "note": 'said "yes"'},
    )
    return sample_collection


def test_export_then_unchanged_import_then_export_gives_the_same_bytes(app, awkward):
    first = sheet(app)
    assert first.startswith(spreadsheets.BOM + "kind,id,version,title,")
    assert first.count("\r\n") == len(awkward.ids("interviews")) + len(awkward.ids("media")) + 1
    assert first.count("\n") == first.count("\r\n") + 1  # the one newline inside a description, kept as it is
    row = row_for(rows_of(first), PUBLIC_INTERVIEW)
    assert row["title"] == 'Pavel Kim: "the train" (Павел; 파벨)'
    assert row["keywords"] == "rice\\; millet; back\\\\slash; кукуруза; 옥수수"
    assert row["description"] == "First line; with a semicolon.\nSecond line, after a newline."
    assert row["extra.box"] == "B-7; shelf 2" and row["narrator.1.other_forms"] == "Ким Павел; 김 파벨"
    assert row["villages"].startswith("Vladivostok [vladivostok]; Khabarovsk [khabarovsk]")
    assert {r["kind"] for r in rows_of(first)} == {"interviews", "media"}
    with app.app_context():
        plan = services().spreadsheets.plan_import(first.encode("utf-8"))
        assert plan.every_problem() == [] and plan.changing() == []
        assert len(plan.rows) == len(awkward.ids("interviews")) + len(awkward.ids("media"))
        lines_before = len(list(audit.entries(awkward.root)))
        assert services().spreadsheets.apply_import(plan, "historian").written == []
    assert len(list(audit.entries(awkward.root))) == lines_before  # nothing written at all
    assert sheet(app).encode("utf-8") == first.encode("utf-8")
    assert stored(awkward, "interviews", PUBLIC_INTERVIEW)["keywords"][0] == "rice; millet"


def test_cells_that_look_like_formulas_are_written_as_text_and_read_back_whole(app, sample_collection):
    edit_interview(app, sample_collection, PUBLIC_INTERVIEW, title='=HYPERLINK("http://x")', accession="'quoted")
    first = sheet(app)
    row = row_for(rows_of(first), PUBLIC_INTERVIEW)
    assert row["title"] == '\'=HYPERLINK("http://x")' and row["accession"] == "''quoted"
    with app.app_context():
        assert services().spreadsheets.plan_import(first.encode("utf-8")).changing() == []
        row["title"] = '=HYPERLINK("http://x") and more'  # as a spreadsheet program saves it: no apostrophe
        row["accession"] = "'quoted"
        plan = services().spreadsheets.plan_import(written([row]))
        assert plan.rows[0].changes == {
            "title": ('=HYPERLINK("http://x")', row["title"]),
            "accession": ("'quoted", "quoted"),
        }


def test_list_cells_split_only_at_unescaped_semicolons():
    assert spreadsheets.split("a\\; b; c\\\\; d;; ") == ["a; b", "c\\", "d"]
    items = ["x;y", "back\\", "Ушто́бе", "우슈토베"]
    assert spreadsheets.split(spreadsheets.join(items)) == items


def test_a_changed_title_and_place_are_applied_once_and_found(app, sample_collection):
    rows = rows_of(sheet(app))
    row = row_for(rows, PUBLIC_INTERVIEW)
    row["title"] = "Pavel Kim and the quincebloom orchard"
    row["later_homes"] += "; Tashkent"
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(rows))
        assert plan.every_problem() == []
        [changed] = plan.changing()
        assert changed.changes == {
            "title": ("Sample (fictional): Pavel Kim, from Vladivostok to Ushtobe and Karaganda", row["title"]),
            "later_homes": ("Karaganda [karaganda]; Almaty [almaty]", row["later_homes"] + " [tashkent]"),
        }
        done = services().spreadsheets.apply_import(plan, "historian")
        assert done.written == [f"interviews/{PUBLIC_INTERVIEW}"] and done.problems == []
        hits = app.extensions["search"].query("quincebloom", {}, access.Reader(), 1).hits
        assert [h.id for h in hits] == [PUBLIC_INTERVIEW]
        hits = app.extensions["search"].query("", {"village": ["tashkent"]}, access.Reader(), 1).hits
        assert PUBLIC_INTERVIEW in [h.id for h in hits]
    record = stored(sample_collection, "interviews", PUBLIC_INTERVIEW)
    assert record["later_homes"][-1] == {"name": "Tashkent", "place": "tashkent"}
    assert record["source"]  # what ingest wrote stays
    [earlier] = sample_collection.history("interviews", PUBLIC_INTERVIEW, "interview.json")
    assert earlier.author != "historian"
    lines = [e for e in audit.entries(sample_collection.root) if e.record == f"interviews/{PUBLIC_INTERVIEW}"]
    assert (lines[-1].author, lines[-1].action) == ("historian", "imported-csv")


def test_bad_cells_and_a_stale_row_change_nothing_while_good_rows_apply(app, sample_collection):
    rows = rows_of(sheet(app))
    bad = row_for(rows, "x3w3seda")
    bad["villages"] += "; Atlantis"
    bad["date"] = "yesterday"
    bad["title"] = "Should not be written"
    stale = row_for(rows, "667hyfv6")
    stale["title"] = "Nor this"
    good = row_for(rows, RESEARCHERS_ITEM)
    good["caption"] = "A wooden tool, photographed in its case"
    edit_interview(app, sample_collection, "667hyfv6", rights="Changed after the export")
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(rows))
        problems = {(p.row, p.column) for p in plan.every_problem()}
        number = {r["id"]: n for n, r in enumerate(rows, 2)}
        assert problems == {
            (number["x3w3seda"], "villages"),
            (number["x3w3seda"], "date"),
            (number["667hyfv6"], "version"),
        }
        said = {p.column: str(p.message) for p in plan.every_problem()}
        assert "Atlantis" in said["villages"] and "setup" in said["version"]
        assert [r.ref for r in plan.changing()] == [f"media/{RESEARCHERS_ITEM}"]
        done = services().spreadsheets.apply_import(plan, "historian")
    assert done.written == [f"media/{RESEARCHERS_ITEM}"]
    assert stored(sample_collection, "media", RESEARCHERS_ITEM)["caption"] == good["caption"]
    assert stored(sample_collection, "interviews", "x3w3seda")["title"].startswith("Sample (fictional): Tsoi Anna")
    assert stored(sample_collection, "interviews", "667hyfv6")["title"].startswith("Sample (fictional): Tsoi Maria")


def test_unknown_ids_columns_and_cells_of_the_other_kind_are_reported(app, sample_collection):
    rows = rows_of(sheet(app))
    columns = list(rows[0])
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(rows, [*columns, "titel"]))
        assert [(p.row, p.column) for p in plan.every_problem()] == [(1, "titel")] and plan.rows == []
        only = [{"kind": "interviews", "id": "zzzzzzzz", "version": "x", "title": "Who?"}]
        only.append({"kind": "records", "id": PUBLIC_INTERVIEW, "version": "x", "title": "What?"})
        item = row_for(rows, RESEARCHERS_ITEM)
        only.append({"kind": "media", "id": RESEARCHERS_ITEM, "version": item["version"], "title": item["title"]})
        plan = services().spreadsheets.plan_import(written(only, ["kind", "id", "version", "title", "keywords"]))
        assert [(p.row, p.column) for p in plan.every_problem()] == [(2, "id"), (3, "kind")]
        only[2]["keywords"] = "tools"
        plan = services().spreadsheets.plan_import(written(only, ["kind", "id", "version", "title", "keywords"]))
        assert (4, "keywords") in [(p.row, p.column) for p in plan.every_problem()]
        assert services().spreadsheets.plan_import(b"kind,id\r\n").problems[0].column == "version"
        assert services().spreadsheets.plan_import(b"\xff\xfe k").problems[0].row == 1


def test_a_partial_sheet_changes_only_its_columns(app, sample_collection):
    row = row_for(rows_of(sheet(app)), PUBLIC_INTERVIEW)
    partial = [{"kind": "interviews", "id": PUBLIC_INTERVIEW, "version": row["version"], "surnames": "Kim; Tsoi; Li"}]
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(partial))
        assert [r.changes for r in plan.rows] == [{"surnames": ("Kim; Tsoi", "Kim; Tsoi; Li")}]
        services().spreadsheets.apply_import(plan, "historian")
    record = stored(sample_collection, "interviews", PUBLIC_INTERVIEW)
    assert record["surnames"] == ["Kim", "Tsoi", "Li"] and record["title"] == row["title"]


def test_bulk_change_previews_then_applies_one_version_per_record(app, sample_collection, client):
    refs = [f"interviews/{PUBLIC_INTERVIEW}", "interviews/x3w3seda", "media/5t10wwwf"]
    assert client.get(f"/interviews/{PUBLIC_INTERVIEW}").status_code == 200
    with app.app_context():
        preview = services().spreadsheets.bulk_preview(refs, "access", "staff")
        assert [(b.ref, b.changes) for b in preview] == [(ref, {"access": ("public", "staff")}) for ref in refs]
        versions = {b.ref: b.version for b in preview}
        assert stored(sample_collection, "interviews", PUBLIC_INTERVIEW)["access"] == "public"  # a preview writes not
        edit_interview(app, sample_collection, "x3w3seda", rights="Changed after the preview")
        done = services().spreadsheets.bulk_apply(refs, "access", "staff", versions, "historian")
        assert [(b.ref, b.done) for b in done] == [(refs[0], True), (refs[1], False), (refs[2], True)]
        assert "setup" in str(done[1].problem)
        hits = app.extensions["search"].query("Pavel", {}, access.Reader(), 1).hits
        assert PUBLIC_INTERVIEW not in [h.id for h in hits]
    assert client.get(f"/interviews/{PUBLIC_INTERVIEW}").status_code == 404
    assert client.get("/media/5t10wwwf").status_code == 404
    for kind, record_id in (("interviews", PUBLIC_INTERVIEW), ("media", "5t10wwwf")):
        assert len(sample_collection.history(kind, record_id, spreadsheets.FILES[kind])) == 1
        lines = [e for e in audit.entries(sample_collection.root) if e.record == f"{kind}/{record_id}"]
        assert lines[-1].action == "bulk-edited"


def test_bulk_additions_skip_what_is_there_and_say_what_cannot_be(app, sample_collection):
    refs = [f"interviews/{PUBLIC_INTERVIEW}", "media/2kfh28sh"]
    with app.app_context():
        place = services().spreadsheets.bulk_preview(refs, "add_place", "Ushtobe")
        assert [b.changes for b in place] == [{}, {}]  # both already name Ushtobe
        place = services().spreadsheets.bulk_preview(refs, "add_place", "Tashkent")
        assert place[0].changes["villages"][1].endswith("; Tashkent [tashkent]")
        assert place[1].changes == {"places": ("Ushtobe [ushtobe]", "Ushtobe [ushtobe]; Tashkent [tashkent]")}
        surname = services().spreadsheets.bulk_preview(refs, "add_surname", "kim")
        assert surname[0].changes == {} and surname[1].changes == {"surnames": ("Tsoi", "Tsoi; kim")}
        event = services().spreadsheets.bulk_preview(refs, "add_event", "arrival-ushtobe-1937")
        assert event[0].problem is not None and event[1].changes == {}
        wrong = services().spreadsheets.bulk_preview(refs, "embargo_until", "soon")
        assert all(b.problem is not None and not b.changes for b in wrong)
        nowhere = services().spreadsheets.bulk_preview(refs, "add_place", "Atlantis")
        assert all("Atlantis" in str(b.problem) for b in nowhere)
        collection_ = services().spreadsheets.bulk_preview(refs, "collection", "Family papers")
        assert collection_[0].changes and collection_[1].problem is not None


def test_the_command_line_exports_checks_and_applies(app, sample_collection, runner, tmp_path):
    result = runner("export", "csv")
    assert result.exit_code == 0
    assert result.stdout_bytes == sheet(app).encode("utf-8")
    out = tmp_path / "sheet.csv"
    assert runner("export", "csv", "--out", str(out)).exit_code == 0
    assert out.read_bytes() == result.stdout_bytes
    unchanged = runner("import", "csv", str(out), "--dry-run")
    assert unchanged.exit_code == 0 and "0 records would change" in unchanged.output
    rows = rows_of(out.read_text("utf-8"))
    row_for(rows, PUBLIC_INTERVIEW)["date"] = "2018-10-21"
    row_for(rows, "x3w3seda")["access"] = "everyone"
    out.write_bytes(written(rows))
    dry = runner("import", "csv", str(out), "--dry-run")
    assert dry.exit_code == 1
    assert f"interviews/{PUBLIC_INTERVIEW} (row 3):\n  date: 2018-10 -> 2018-10-21\n" in dry.output
    assert 'row 6, column access: "everyone" is not an access level' in dry.output
    assert stored(sample_collection, "interviews", PUBLIC_INTERVIEW)["date"] == "2018-10"
    applied = runner("import", "csv", str(out), "--apply", "--author", "Helen Nam")
    assert applied.exit_code == 1 and "1 records changed." in applied.output
    assert stored(sample_collection, "interviews", PUBLIC_INTERVIEW)["date"] == "2018-10-21"
    assert stored(sample_collection, "interviews", "x3w3seda")["access"] == "public"
    again = runner("import", "csv", str(out), "--apply")
    assert "version" in again.output and stored(sample_collection, "interviews", "x3w3seda")["access"] == "public"


def test_the_staff_list_is_for_staff_alone(app, sample_collection, client, auth):
    for path in ("/records/", "/records/export.csv"):
        assert client.get(path).status_code == 404
    token = csrf_token(client.get("/auth/signin"))
    asked = {"csrf_token": token, "ref": [f"interviews/{PUBLIC_INTERVIEW}"], "change": "access", "value": "staff"}
    assert client.post("/records/bulk", data={**asked, "preview": "1"}).status_code == 404
    auth.login("researcher")
    for path in ("/records/", "/records/export.csv"):
        assert client.get(path).status_code == 404
    assert "Records" not in client.get("/").get_data(as_text=True)
    assert client.post("/records/bulk", data={**asked, "csrf_token": csrf_token(client.get("/"))}).status_code == 404
    auth.logout()
    auth.login("historian")
    page = client.get("/records/")
    assert page.status_code == 200 and 'href="/records/"' in client.get("/").get_data(as_text=True)
    download = client.get("/records/export.csv")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.data == sheet(app).encode("utf-8")


def listed_titles(client, query: str = "") -> list[str]:
    import re

    html = client.get(f"/records/{query}").get_data(as_text=True)
    return re.findall(r'<input type="checkbox" name="ref" value="([^"]+)"', html)


def test_the_staff_list_filters_sorts_and_pages(app, sample_collection, client, auth):
    auth.login("historian")
    everything = listed_titles(client)
    assert len(everything) == 8 and f"media/{RESEARCHERS_ITEM}" in everything
    assert listed_titles(client, "?access=researchers") == [f"media/{RESEARCHERS_ITEM}", "interviews/0ayd1wnd"]
    assert listed_titles(client, "?review=1") == [] and listed_titles(client, "?deleted=1") == []
    edit_interview(app, sample_collection, "x3w3seda", collection="Family papers")
    assert listed_titles(client, "?collection=Family+papers") == ["interviews/x3w3seda"]
    assert listed_titles(client, "?sort=changed")[0] == "interviews/x3w3seda"
    assert listed_titles(client, "?sort=date") == [
        "media/2kfh28sh",
        "media/5t10wwwf",
        f"media/{RESEARCHERS_ITEM}",
        "interviews/0ayd1wnd",
        "interviews/667hyfv6",
        f"interviews/{PUBLIC_INTERVIEW}",
        "interviews/x3w3seda",
        "interviews/svqc7aeb",
    ]
    with app.app_context():
        notes = services().annotations
        notes.create("0ayd1wnd", 0, 10, notes.bodies({}, [], "private", redact=True), "historian")
        notes.create(PUBLIC_INTERVIEW, 0, 10, notes.bodies({}, ["first words"], ""), "historian")
        version = sample_collection.read("interviews", PUBLIC_INTERVIEW, "segments.json").version
        first = sample_collection.read("interviews", PUBLIC_INTERVIEW, "segments.json").json()[0]["n"]
        services().transcripts.correct_segment(PUBLIC_INTERVIEW, first, "Entirely other words.", "historian", version)
    assert listed_titles(client, "?redacted=1") == ["interviews/0ayd1wnd"]
    assert listed_titles(client, "?review=1") == [f"interviews/{PUBLIC_INTERVIEW}"]
    assert listed_titles(client, "?review=1&access=staff") == []
    for n in range(30):
        sample_collection.create("media", {"item.json": json.dumps({"title": f"Extra {n:02d}"}).encode()}, "setup")
    first = client.get("/records/?size=25&sort=title")
    assert len(listed_titles(client, "?size=25")) == 25 and len(listed_titles(client, "?size=25&page=2")) == 13
    assert 'rel="next"' in first.headers["Link"] and "size=25" in first.headers["Link"]
    assert len(listed_titles(client, "?size=50")) == 38


def test_bulk_change_through_the_pages_without_script(app, sample_collection, client, auth):
    auth.login("historian")
    token = csrf_token(client.get("/records/"))
    refs = [f"interviews/{PUBLIC_INTERVIEW}", "media/5t10wwwf"]
    preview = client.post(
        "/records/bulk", data={"csrf_token": token, "ref": refs, "change": "access", "value": "staff", "preview": "1"}
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and html.count("<del>public</del> → <ins>staff</ins>") == 2
    assert stored(sample_collection, "interviews", PUBLIC_INTERVIEW)["access"] == "public"
    import re

    versions = re.search(r'name="versions" type="hidden" value="([^"]+)"', html).group(1)
    import html as markup

    done = client.post(
        "/records/bulk",
        data={
            "csrf_token": token,
            "ref": refs,
            "change": "access",
            "value": "staff",
            "versions": markup.unescape(versions),
            "apply": "1",
        },
    )
    assert done.status_code == 200 and "2 records changed." in done.get_data(as_text=True)
    assert stored(sample_collection, "interviews", PUBLIC_INTERVIEW)["access"] == "staff"
    auth.logout()
    assert client.get(f"/interviews/{PUBLIC_INTERVIEW}").status_code == 404
    assert PUBLIC_INTERVIEW not in client.get("/search?q=Pavel").get_data(as_text=True)


def test_deleted_records_are_listed_only_when_asked_and_never_exported_or_changed(app, sample_collection, client, auth):
    deleted = {"time": "2026-12-01T10:00:00.000000Z", "author": "admin", "reason": ""}
    gone = sample_collection.create(
        "media", {"item.json": json.dumps({"title": "Gone", "access": "public", "deleted": deleted}).encode()}, "setup"
    )
    family = {"title": "A family photo", "access": "family", "contribution": "7k2m9qax"}
    given = sample_collection.create("media", {"item.json": json.dumps(family).encode()}, "setup")
    auth.login("historian")
    assert f"media/{gone}" not in listed_titles(client)
    assert listed_titles(client, "?deleted=1") == [f"media/{gone}"]
    assert listed_titles(client, "?contributed=1") == [f"media/{given}"]
    assert f",{gone}," not in sheet(app)
    version = sample_collection.read("media", gone, "item.json").version
    row = [{"kind": "media", "id": gone, "version": version, "title": "Back again"}]
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(row))
        assert [(p.row, p.column) for p in plan.every_problem()] == [(2, "id")]
        [refused] = services().spreadsheets.bulk_apply([f"media/{gone}"], "access", "staff", {}, "historian")
        assert refused.problem is not None and not refused.done
    assert stored(sample_collection, "media", gone)["title"] == "Gone"


def test_narrators_are_changed_by_position_and_the_others_kept(app, sample_collection):
    edit_interview(
        app,
        sample_collection,
        PUBLIC_INTERVIEW,
        narrators=[{"name": "Pavel Kim", "other_forms": ["Ким Павел"]}, {"name": "Ли Ирина", "other_forms": []}],
    )
    row = row_for(rows_of(sheet(app)), PUBLIC_INTERVIEW)
    assert (row["narrator.2"], row["narrator.2.other_forms"]) == ("Ли Ирина", "")
    partial = [
        {
            "kind": "interviews",
            "id": PUBLIC_INTERVIEW,
            "version": row["version"],
            "narrator.1.other_forms": "Ким Павел; 김 파벨",
        }
    ]
    with app.app_context():
        plan = services().spreadsheets.plan_import(written(partial))
        assert [r.changes for r in plan.rows] == [{"narrator.1.other_forms": ("Ким Павел", "Ким Павел; 김 파벨")}]
        services().spreadsheets.apply_import(plan, "historian")
        record = stored(sample_collection, "interviews", PUBLIC_INTERVIEW)
        assert [n["name"] for n in record["narrators"]] == ["Pavel Kim", "Ли Ирина"]
        version = sample_collection.read("interviews", PUBLIC_INTERVIEW, "interview.json").version
        cleared = [{"kind": "interviews", "id": PUBLIC_INTERVIEW, "version": version, "narrator.2": ""}]
        plan = services().spreadsheets.plan_import(written(cleared))
        assert plan.rows[0].changes == {"narrator.2": ("Ли Ирина", "")}
        orphan = [{**cleared[0], "narrator.2.other_forms": "Lee Irina"}]
        problems = services().spreadsheets.plan_import(written(orphan)).every_problem()
        assert [(p.row, p.column) for p in problems] == [(2, "narrator.2")]
