"""Search through a real Whoosh index: every spelling finds every other, facets count what they lead to, access
holds, and nothing a person types makes it fail."""

import json
import random
import time

import pytest

from archive import create_app
from archive.accounts import User
from archive.ingest import Ingester
from archive.names import shipped_gazetteer

HISTORIAN = User(1, "historian", "historian")
RESEARCHER = User(2, "researcher", "researcher")

PLACE_FAMILIES = [
    ["Уштобе", "Ushtobe", "Üshtöbe", "Uştöbe"],
    ["Кызылорда", "Kyzylorda", "Qyzylorda", "Kzyl-Orda", "Ak-Mechet", "Perovsk"],
    ["Посьет", "Posyet", "Posiet"],
    ["Кустанай", "Kostanay", "Qostanay"],
    ["Алма-Ата", "Almaty"],
    ["Приморье", "Primorye", "Maritime Province"],
]
SURNAME_FAMILIES = [
    ["김", "Ким", "Kim"],
    ["박", "Пак", "Pak", "Park"],
    ["이", "Ли", "Ни", "Li", "Lee", "Ni"],
    ["최", "Цой", "Tsoi", "Choi"],
    ["정", "Тен", "Ten", "Jeong"],
    ["강", "Кан", "Kan", "Kang"],
    ["조", "Тё", "Tyo", "Cho"],
    ["장", "Тян", "Tyan", "Jang"],
    ["한", "Хан", "Khan", "Han"],
    ["오", "Огай", "О", "Ogai", "O"],
    ["허", "Хегай", "Хо", "Khegai", "Heo"],
    ["유", "Югай", "Ю", "Yugai", "Yu"],
    ["남", "Нам", "Nam"],
    ["신", "Шин", "Shin"],
    ["황", "Хван", "Khvan", "Hwang"],
    ["안", "Ан", "An"],
    ["임", "Лим", "Lim"],
    ["채", "Цхай", "Tskhai", "Chae"],
]


@pytest.fixture
def add(app, collection):
    """Ingest a one-line transcript with metadata, through the service, so it is indexed as in real use."""
    ingester = Ingester(collection, shipped_gazetteer(), "tester", 2**20, app.extensions["indexer"])

    def add(text: str, **metadata) -> str:
        body = f"НАРРАТОР: {text}\n".encode()
        outcome = ingester.ingest(
            body, f"{abs(hash(text))}.txt", {"title": metadata.pop("title", text[:40]), "access": "public", **metadata}
        )
        assert outcome.status == "ingested", outcome.reason
        return outcome.interview_id

    return add


def found(app, q, viewer=HISTORIAN, **filters):
    results = app.extensions["search"].query(q, {k: [v] for k, v in filters.items()}, viewer, page_size=100)
    return results, {h.id for h in results.hits}


@pytest.mark.parametrize("family", PLACE_FAMILIES, ids=lambda f: f[1])
def test_every_form_of_a_place_finds_every_other(app, add, family):
    ids = {form: add(f"Мы приехали в {form} осенью.", title=f"place {form}") for form in family}
    add("Совсем другой рассказ о море.")
    for query_form in family:
        _, hits = found(app, query_form)
        assert hits >= set(ids.values()), (query_form, {f for f, i in ids.items() if i not in hits})


@pytest.mark.parametrize("family", SURNAME_FAMILIES, ids=lambda f: f[2])
def test_every_form_of_a_surname_finds_every_other(app, add, family):
    ids = {form: add(f"Моя бабушка по фамилии {form} пела песни.", title=f"surname {form}") for form in family}
    for query_form in family:
        _, hits = found(app, query_form)
        assert hits >= set(ids.values()), (query_form, {f for f, i in ids.items() if i not in hits})


def test_exact_form_ranks_first_and_highlight_marks_the_form_in_the_text(app, add):
    latin = add("We arrived at Ushtobe in October.")
    cyrillic = add("Мы приехали в Уштобе в октябре.")
    results, _ = found(app, "Уштобе")
    assert [h.id for h in results.hits][:2] == [cyrillic, latin]
    snippets = {h.id: str(h.segments[0].snippet) for h in results.hits}
    assert "<mark>Уштобе</mark>" in snippets[cyrillic] and "<mark>Ushtobe</mark>" in snippets[latin]


def test_every_hit_of_a_page_marks_its_own_words(app, add):
    """The page's highlights are read in one pass over each word's postings, through the documents in order (across
    the index's segments): each hit must still get its own passage, not a neighbour's."""
    ids = {}
    for n in range(12):  # one commit each: several segments, until the index merges them
        ids[add(f"Passage of witness{n}. {'Before that. ' * n}The rice of witness{n} was salty.")] = n
    results, hits = found(app, "rice")
    assert hits == set(ids)
    for hit in results.hits:
        snippet = str(hit.segments[0].snippet)
        assert "<mark>rice</mark>" in snippet and f"witness{ids[hit.id]} " in snippet, (ids[hit.id], snippet)


def test_hangul_name_inside_a_longer_run_is_found(app, add):
    run = add("최마리아에게 물었어요. 우슈토베에 도착했어요.")
    for q in ("최", "마리아", "우슈토베", "Ushtobe"):
        assert run in found(app, q)[1], q


def test_phrase_prefix_boolean_and_field_queries(app, add):
    a = add("The rice ball was salty.", surnames="Tsoi", villages="Ushtobe")
    b = add("Rice and salt, then the ball.", surnames="Kim", villages="Kyzylorda")
    assert found(app, '"rice ball"')[1] == {a}
    phrase, _ = found(app, '"rice ball"')
    assert str(phrase.hits[0].segments[0].snippet) == "The <mark>rice</mark> <mark>ball</mark> was salty."
    assert found(app, '"the rice ball was"')[1] == {a} and found(app, '"ball was rice"')[1] == set()
    korean = add("어머니는 동생을 안고 계셨어요.")
    assert found(app, '"어머니는 동생을"')[1] == {korean} and found(app, '"동생을 어머니는"')[1] == set()
    assert found(app, "rice AND ball")[1] == {a, b}
    assert found(app, "salty OR Kyzylorda")[1] == {a, b}
    assert found(app, "rice NOT salty")[1] == {b}
    assert found(app, "rice -salty")[1] == {b}
    assert found(app, "sal*")[1] == {a, b}
    assert found(app, "village:Уштобе")[1] == {a}
    assert found(app, "surname:Цой")[1] == {a}
    assert found(app, "rice", village="kyzylorda")[1] == {b}


def test_facet_counts_equal_the_hits_they_lead_to(app, add):
    add("Train to Ushtobe.", villages="Ushtobe;Posyet", surnames="Tsoi", languages="ru", date="1998~")
    add("Train to Kyzylorda.", villages="Kyzylorda", surnames="Kim;Tsoi", languages="en", date="2003-05")
    add("A train in winter.", villages="Ushtobe", surnames="Pak", languages="ko", date="193X")
    add("No trains here.", villages="Posyet", access="staff")
    for viewer in (None, HISTORIAN):
        results, hits = found(app, "train", viewer)
        checked = 0
        for facet, values in results.facets.items():
            for value, _, count in values:
                narrowed, _ = found(app, "train", viewer, **{facet: value})
                assert narrowed.total == count, (viewer, facet, value)
                checked += 1
        assert checked >= 10


def test_facet_counts_follow_every_change_of_the_index(app, add, collection):
    """The facets' per-segment lists are kept between queries (search/facets.py): new segments, documents replaced
    in older ones and segments merged away must each be counted as they are now."""

    def villages() -> dict[str, int]:
        return {v: n for v, _, n in found(app, "train")[0].facets["village"]}

    first = add("Train one.", villages="Ushtobe")
    assert villages() == {"ushtobe": 1}
    for n in range(12):  # enough commits for the index to merge its small segments
        add(f"Train number {n}.", villages="Posyet" if n % 2 else "Kyzylorda")
        assert sum(villages().values()) == n + 2
    assert villages() == {"ushtobe": 1, "posyet": 6, "kyzylorda": 6}
    stored = collection.read("interviews", first, "interview.json")
    record = {**json.loads(stored.data), "villages": [{"name": "Karaganda", "place": "karaganda"}]}
    changed = {"interview.json": json.dumps(record).encode()}
    collection.write("interviews", first, changed, "tester", {"interview.json": stored.version})
    app.extensions["indexer"].updated(first)  # the document is replaced: deleted in its old segment
    assert villages() == {"karaganda": 1, "posyet": 6, "kyzylorda": 6}


def test_anonymous_and_researchers_see_only_what_they_may(app, add):
    public = add("Marker zebra public.")
    add("Marker zebra researchers.", access="researchers")
    add("Marker zebra staff.", access="staff")
    add("Marker zebra embargoed.", embargo_until="2999-01-01")
    passed = add("Marker zebra old embargo.", embargo_until="2001-01-01")
    anonymous, hits = found(app, "zebra", None)
    assert hits == {public, passed} and anonymous.total == 2
    assert dict((v, n) for v, _, n in anonymous.facets["kind"]) == {"interview": 2}
    assert len(found(app, "zebra", RESEARCHER)[1]) == 3
    assert len(found(app, "zebra", HISTORIAN)[1]) == 5
    assert found(app, "researchers", None)[1] == set()


NASTY = [
    "NOT ANDMAYBE ",
    "r ANDNOT ANDNOT ",
    "((((",
    "))))",
    '"',
    '""',
    '"unclosed phrase',
    "village:",
    ":",
    "*",
    "**",
    "-",
    "--",
    "OR OR OR",
    "AND",
    "NOT",
    'title:"',
    "a:b:c",
    "\x00\x01",
    "%s %d {0}",
    "<script>",
    "ANDMAYBE",
    "a" * 5000,
    "Ü" * 300,
    "(NOT (NOT (NOT x)))",
    "village:Atlantis",
    "*a*b*",
    "[1 TO]",
    "~2",
    "^3",
]


@pytest.mark.parametrize("q", NASTY)
def test_no_query_crashes(app, add, client, q):
    add("Something to find.")
    results, _ = found(app, q, None)
    assert results.total >= 0
    assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200


def test_random_operator_soup_never_crashes(app, add):
    add("Something to find in Ushtobe.")
    rng = random.Random(1937)
    pieces = [
        "AND",
        "OR",
        "NOT",
        "ANDNOT",
        "ANDMAYBE",
        "(",
        ")",
        '"',
        "*",
        "-",
        "+",
        ":",
        "village:",
        "Уштобе",
        "rice",
        "최",
        "title:",
        "^",
        "~",
        "[",
        "]",
        "{",
        "}",
        "TO",
        "\\",
        "'",
    ]
    for _ in range(300):
        q = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        found(app, q, None)


def test_empty_results_suggest_names_from_the_vocabularies(app, add):
    add("Рассказ про Уштобе.")
    results, _ = found(app, "Ushtobbe")
    assert results.total == 0 and "Ushtobe" in results.suggestions


def test_search_page_and_api_agree(app, add, client):
    a = add("We came to Ushtobe by train.", villages="Ushtobe")
    page = client.get("/search", query_string={"q": "Уштобе"}).get_data(as_text=True)
    assert f"/interviews/{a}#s1" in page and "<mark>Ushtobe</mark>" in page
    data = client.get("/api/v1/search", query_string={"q": "Уштобе"}).get_json()
    assert data["total"] == 1 and data["hits"][0]["id"] == a
    assert data["hits"][0]["segments"][0]["url"].endswith(f"/interviews/{a}#s1")
    assert {"value": "ushtobe", "label": "Ushtobe", "count": 1} in data["facets"]["village"]


def test_browse_villages_and_surnames_open_filtered_searches(app, add, client):
    add("One.", villages="Уштобе", surnames="Цой")
    add("Two.", villages="Ushtobe;Kyzylorda", surnames="Tsoi")
    villages = client.get("/browse/villages").get_data(as_text=True)
    assert 'href="/search?village=ushtobe">Ushtobe</a> <span class="count">2</span>' in villages
    surnames = client.get("/browse/surnames").get_data(as_text=True)
    assert 'href="/search?surname=tsoi"' in surnames and '<span class="count">2</span>' in surnames


def test_an_edited_interview_is_repaired_by_the_check(app, add, collection):
    interview_id = add("Before the edit.")
    stored = collection.read("interviews", interview_id, "segments.json")
    segments = json.loads(stored.data)
    segments[0]["text"] = "After the edit: pomegranate."
    collection.write(
        "interviews",
        interview_id,
        {"segments.json": json.dumps(segments).encode()},
        "tester",
        {"segments.json": stored.version},
    )
    assert found(app, "pomegranate")[1] == set()
    stale = sorted([f"notes/{interview_id}", interview_id])  # its annex masks its notes' quotes against the transcript
    assert app.extensions["search"].check() == {"missing": [], "orphaned": [], "stale": stale}
    assert found(app, "pomegranate")[1] == {interview_id}


def test_reindex_rebuilds_a_deleted_index(app, add, runner):
    interview_id = add("Rebuilt from the collection: persimmon.")
    import shutil

    shutil.rmtree(app.config["ARCHIVE_DATA"] / "index")
    result = runner("reindex")
    assert result.exit_code == 0 and "Indexed 1 interview and 0 media items." in result.stdout
    fresh = create_app({"ARCHIVE_DATA": app.config["ARCHIVE_DATA"], "ARCHIVE_INDEX_CHECK_AT_START": False})
    assert {h.id for h in fresh.extensions["search"].query("persimmon", None, None).hits} == {interview_id}


def test_a_rebuild_in_chunks_by_several_processes_holds_every_document(app, add, monkeypatch):
    import archive.search.index

    monkeypatch.setattr(archive.search.index, "REBUILD_CHUNK", 300)  # a commit every few documents
    monkeypatch.setattr(archive.search.index, "REBUILD_PROCESSES", 2)
    ids = [add(f"Testimony {n} from Ushtobe, with its own word zzchunk{n}x.") for n in range(12)]
    search_index = app.extensions["search"]
    assert search_index.rebuild() == 24  # each interview and its annex
    with search_index.ix().searcher() as searcher:
        assert searcher.doc_count() == 24
        assert len(search_index.ix()._segments()) > 2  # several commits, several processes: several segments
    assert found(app, "Ushtobe")[1] == set(ids)
    for n, interview_id in enumerate(ids):
        assert found(app, f"zzchunk{n}x")[1] == {interview_id}
    assert not list(app.config["ARCHIVE_DATA"].glob(".index-*"))  # nothing left beside the index


def test_the_app_repairs_a_missing_index_at_start_without_blocking(sample_collection, app):
    import shutil

    shutil.rmtree(app.config["ARCHIVE_DATA"] / "index")
    started = time.monotonic()
    fresh = create_app({"ARCHIVE_DATA": app.config["ARCHIVE_DATA"]})
    assert time.monotonic() - started < 5
    check = next(j for j in fresh.extensions["jobs"].list() if j.kind == "check-index")  # the start-up check
    deadline = time.monotonic() + 60
    while fresh.extensions["jobs"].get(check.id).active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fresh.extensions["jobs"].get(check.id).state == "done"
    assert fresh.extensions["search"].query("Ushtobe", None, None).total >= 2


def add_spelling(client, surname_id, spelling, version=None):
    from conftest import csrf_token

    page = client.get("/vocab/surnames")
    if version is None:
        import re

        version = re.search(r'name="version" value="([^"]*)"', page.get_data(as_text=True)).group(1)
    return client.post(
        f"/vocab/surnames/{surname_id}", data={"csrf_token": csrf_token(page), "spelling": spelling, "version": version}
    )


def test_historian_adds_a_spelling_and_search_follows(app, add, client, auth, collection):
    tsoi = add("Моя бабушка по фамилии Цой.", surnames="Цой")
    assert found(app, "Tchoi")[1] == set()
    auth.login("historian")
    response = add_spelling(client, "tsoi", "Tchoi")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert found(app, "Tchoi")[1] == {tsoi}  # every worker re-reads the changed family
    assert collection.last_change("vocab", "surnames", "surnames.json")["author"] == "historian"
    assert [str(p) for p in collection.verify()] == []
    again = add_spelling(client, "tsoi", "tchoi")
    assert again.status_code == 422 and "already a spelling of tsoi" in again.get_data(as_text=True)
    bad = add_spelling(client, "tsoi", "Tsoi123")
    assert bad.status_code == 422 and "is not a name" in bad.get_data(as_text=True)


def test_a_stale_vocabulary_edit_is_refused_naming_who_changed_it(app, client, auth):
    auth.login("historian")
    assert add_spelling(client, "kim", "Kimm").status_code == 302
    stale = add_spelling(client, "kim", "Kiehm", version="0" * 64)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "was changed by historian" in page


def test_only_staff_edit_vocabularies(client, auth):
    assert client.get("/vocab/surnames").status_code == 302
    auth.login("researcher")
    assert client.get("/vocab/surnames").status_code == 403


def test_a_reader_who_may_read_nothing_finds_nothing_twice_over(app, add):
    """The access filter is kept as a set per searcher; one that lets nothing through must still filter (an empty
    set is falsy, and whoosh reads a falsy filter as none)."""
    add("Kept for staff: zzstaffonly.", access="staff")
    for _ in range(2):  # the second time from the kept filter
        results, ids = found(app, "zzstaffonly", viewer=None)
        assert ids == set() and results.total == 0
        assert found(app, "", viewer=None)[0].total == 0
    assert found(app, "zzstaffonly")[1] != set()  # a historian does find it
