"""Citations (archive/exports/citations.py): CSL-JSON, BibTeX and RIS of an interview or a moment, read back by real
parsers; the sentence on the page says what the CSL item says; who may download them; `archive export citations`."""

import datetime
import json
import shutil

import bibtexparser
import pytest
import rispy
from click.testing import CliRunner
from conftest import REPOSITORY, Auth
from pylatexenc.latex2text import LatexNodes2Text

from archive import create_app, interviews
from archive.cli import cli
from archive.exports import citations
from archive.ingest import Ingester
from archive.views.interviews import citation
from archive.vocab import gazetteer

TODAY = datetime.date.today()
TITLE = "Поезд {1937}: 50% & #1 \\ $_^~ вторая строка"
RESTRICTED = "0ayd1wnd"  # the sample kept for signed-in researchers


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The sample collection and a public interview with a Korean narrator, a Russian one and a title full of what
    BibTeX and RIS must escape."""
    root = tmp_path_factory.mktemp("cite")
    for kind in ("interviews", "media", "about"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(
        b"[00:00:00] A: One.\n\n[00:12:34] B: Two.",
        "cite.txt",
        {
            "title": TITLE,
            "narrators": "김영희; Цой Анна Петровна",
            "interviewers": "Ли Ирина",
            "date": "1998-05",
            "accession": "OH-7",
            "collection": "Koryo-saram",
            "languages": "ko",
            "access": "public",
        },
    )
    assert outcome.status == "ingested", outcome.reason
    return app, outcome.interview_id


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def test_csl_json_of_an_interview_and_of_a_moment(world):
    app, one = world
    client = app.test_client()
    response = get(client, f"/interviews/{one}/cite.json")
    assert response.headers["Content-Type"] == "application/vnd.citationstyles.csl+json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="citation-{one}.json"'
    [item] = json.loads(response.get_data())
    # the CSL-JSON schema's shape: an array of items, each an id, a type of its list, names and dates as it defines
    assert item["id"] == one and item["type"] == "interview"
    assert item["author"] == [{"literal": "김영희"}, {"literal": "Цой Анна Петровна"}]  # as stored, own script
    assert item["interviewer"] == [{"literal": "Ли Ирина"}]
    assert item["issued"] == {"date-parts": [[1998, 5]]}
    assert item["accessed"] == {"date-parts": [[TODAY.year, TODAY.month, TODAY.day]]}
    assert item["medium"] == "oral history interview" and item["archive"] == "Oral history archive"
    assert (item["archive_collection"], item["archive_location"], item["language"]) == ("Koryo-saram", "OH-7", "ko")
    assert item["URL"] == f"http://localhost/interviews/{one}" and item["title"] == TITLE
    for names in (item["author"], item["interviewer"]):
        assert all(set(name) == {"literal"} and isinstance(name["literal"], str) for name in names)
    moment = json.loads(get(client, f"/interviews/{one}/cite.json?t=0:12:34").get_data())[0]
    assert moment["URL"] == f"http://localhost/interviews/{one}?t=754#t=754" and moment["note"] == "at 00:12:34"
    assert moment["id"] == f"{one}-t754"
    assert (
        get(client, f"/interviews/{one}/cite.json?t=754", 200)
        .headers["Content-Disposition"]
        .endswith(f'citation-{one}-t754.json"')
    )
    get(client, f"/interviews/{one}/cite.json?t=soon", 400)


def test_edtf_dates_become_csl_dates_where_they_are_exact():
    assert citations.issued("1937") == {"date-parts": [[1937]]}
    assert citations.issued("1937-10-03") == {"date-parts": [[1937, 10, 3]]}
    assert citations.issued("1937~") == {"date-parts": [[1937]], "circa": True}
    assert citations.issued("193X") == {"raw": "193X"}
    assert citations.issued("1937/1938") == {"raw": "1937/1938"}
    for date in ("1937", "1937-10-03", "1937~", "193X"):
        assert citations.edtf(citations.issued(date)) == date


def test_bibtex_is_read_back_by_a_bibtex_parser_to_the_same_words(world):
    app, one = world
    response = get(app.test_client(), f"/interviews/{one}/cite.bib?t=754")
    assert response.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="citation-{one}-t754.bib"'
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.entry_type == "misc" and entry.key == f"{one}-t754"
    fields = {f.key: f.value for f in entry.fields}
    latex = LatexNodes2Text()
    # pylatexenc says \\textasciicircum as the modifier letter ˆ, which is what LaTeX prints for it
    assert latex.latex_to_text(fields["title"]).replace("ˆ", "^") == TITLE
    assert "\\{1937\\}" in fields["title"] and "\\textbackslash{}" in fields["title"] and "\n" not in fields["title"]
    assert fields["author"] == "{김영희} and {Цой Анна Петровна}"  # each name whole, in its own script
    assert (fields["year"], fields["month"], fields["date"]) == ("1998", "5", "1998-05")
    assert fields["url"] == f"http://localhost/interviews/{one}?t=754#t=754"
    assert fields["urldate"] == TODAY.isoformat() and fields["howpublished"] == "oral history interview"
    assert "Interviewed by Ли Ирина" in fields["note"] and "at 00:12:34" in fields["note"]


def test_ris_is_one_tag_a_line_and_read_back_by_a_ris_parser(world):
    app, one = world
    response = get(app.test_client(), f"/interviews/{one}/cite.ris")
    assert response.headers["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    body = response.get_data(as_text=True)
    lines = body.split("\r\n")
    assert lines[0] == "TY  - GEN" and lines[-2:] == ["ER  - ", ""]
    assert all(len(line) >= 6 and line[2:6] == "  - " for line in lines[:-1])
    [entry] = rispy.loads(body)
    assert entry["authors"] == ["김영희", "Цой Анна Петровна"] and entry["secondary_authors"] == ["Ли Ирина"]
    assert entry["title"] == TITLE and entry["year"] == "1998" and entry["date"] == "1998/05/"
    assert entry["urls"] == [f"http://localhost/interviews/{one}"] and entry["type_of_work"] == "oral history interview"
    assert entry["accession_number"] == "OH-7" and entry["access_date"] == TODAY.strftime("%Y/%m/%d")
    # a value with line breaks is one line
    found = citations.csl({"title": "a\nTY  - JOUR\r\nb"}, "x", url="u", archive="A")
    assert citations.write_ris(found).split("\r\n")[1] == "TI  - a TY  - JOUR b"


def test_the_page_cites_what_the_csl_item_says_and_links_the_downloads(world):
    app, one = world
    client = app.test_client()
    page = get(client, f"/interviews/{one}?lang=ru").get_data(as_text=True)
    item = json.loads(get(client, f"/interviews/{one}/cite.json").get_data())[0]
    cite = page[page.index('id="cite"') :]
    assert "김영희, Цой Анна Петровна" in cite and item["URL"] in cite and "1998" in cite and "май" in cite.lower()
    for extension in ("json", "bib", "ris"):
        assert f'href="/interviews/{one}/cite.{extension}" download' in cite
    with app.test_request_context("/?lang=en"):
        record = interviews.load(app.extensions["collection"], one).record
        said = citation(record, one)
    assert said.startswith("김영희, Цой Анна Петровна. “Поезд {1937}: 50% & #1 \\ $_^~ вторая строка”. Interview,")
    assert f"{item['URL']} (accessed" in said


def test_citations_are_read_as_the_interview_is(world):
    app, _ = world
    anonymous = app.test_client()
    get(anonymous, f"/interviews/{RESTRICTED}/cite.ris", 404)
    get(anonymous, "/interviews/nosuch/cite.json", 404)
    researcher = app.test_client()
    Auth(app, researcher).login("researcher")
    response = get(researcher, f"/interviews/{RESTRICTED}/cite.bib")
    assert "no-store" in response.headers["Cache-Control"]


def test_the_command_writes_citations(world, tmp_path):
    app, one = world

    def run(*args):
        return CliRunner().invoke(cli, ["--data", str(app.config["ARCHIVE_DATA"]), "export", "citations", *args])

    result = run(one, "--format", "ris", "--base-url", "https://archive.example.org/")
    assert result.exit_code == 0, result.output
    assert f"UR  - https://archive.example.org/interviews/{one}" in result.output
    result = run(one, RESTRICTED, "--format", "bibtex", "--out", str(tmp_path / "bib"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "bib").iterdir()) == sorted([f"{one}.bib", f"{RESTRICTED}.bib"])
    single = tmp_path / "one.json"
    assert run(RESTRICTED, "--out", str(single)).exit_code == 0
    assert json.loads(single.read_text())[0]["id"] == RESTRICTED
    refused = run(one, RESTRICTED)
    assert refused.exit_code == 1 and "--out" in refused.output
    refused = run(one, "nosuch", "--out", str(tmp_path / "none"))
    assert refused.exit_code == 1 and "nosuch" in refused.output and not (tmp_path / "none").exists()
    app.extensions["services"].tombstones.delete("interviews", one, "a test", "hist")
    refused = run(one, "--out", str(tmp_path / "gone.json"))
    assert refused.exit_code == 1 and "deleted" in refused.output and not (tmp_path / "gone.json").exists()
