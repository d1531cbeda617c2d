"""Transcript readers on files written by this team, good and broken: every refusal names what is wrong and where."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from factories import docx, locked_pdf, odt, pdf

from archive.formats import FormatError, detect, read

DATA = Path(__file__).parent / "data" / "transcripts"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def turns(transcript):
    return [(s.speaker, s.start, s.text) for s in transcript.segments]


def test_plain_text_speakers_in_three_scripts_and_timecodes_in_three_forms():
    t = read(data("speakers.txt"), "speakers.txt")
    assert t.format == "txt"
    assert turns(t) == [
        (None, None, "Test transcript written by the archive team. Labels in three scripts, timecodes in three forms."),
        ("INTERVIEWER", 5.0, "Where were you born?"),
        ("Цой Анна Петровна", None, "В Посьете."),
        ("Цой Анна Петровна", 90.0, "Потом нас повезли. Ехали долго, больше месяца."),
        ("Цой Анна Петровна", None, "Зимой жили в землянке. He said: we will survive."),  # a new paragraph, same voice
        ("최 마리아", 130.0, "우슈토베에 도착했어요."),
        ("Mixed Case Name", None, "a line with no timecode. Note the time: nothing special here."),
    ]
    assert [s.n for s in t.segments] == list(range(1, 8))
    assert t.segments[2].end is None  # untimed: where it ends is not known


@pytest.mark.parametrize(
    "codec, name", [("cp1251", "Windows-1251"), ("koi8_r", "KOI8-R"), ("utf-16", "UTF-16"), ("utf-8-sig", None)]
)
def test_russian_encodings_are_detected_and_converted(codec, name):
    text = "ИНТЕРВЬЮЕР: Где вы родились?\nЦОЙ: В Посьете, у самого моря. Осенью нас посадили в вагоны.\n"
    t = read(text.encode(codec), "interview.txt")
    assert turns(t)[1] == ("ЦОЙ", None, "В Посьете, у самого моря. Осенью нас посадили в вагоны.")
    if name:
        assert any(name in note for note in t.notes)


KAZAKH = (
    "АЙГҮЛ: Біз Қазақстанда тұрамыз. Әкем ауылда өсті, үйі өзеннің жағасында; Ғалым ағамыз ұзақ жылдар мұғалім болды.\n"
)
KOREAN = "최 마리아: 우리는 1937년 가을에 우슈토베에 도착했어요. 겨울에는 땅굴에서 살았습니다.\n"
RUSSIAN = "ЦОЙ: Где вы родились? В Посьете, у самого моря. Осенью нас посадили в вагоны.\n"


@pytest.mark.parametrize(
    "text, codec, name",
    [
        (KOREAN, "euc_kr", "EUC-KR"),
        (KOREAN.replace("땅굴", "똠방"), "cp949", "CP949"),  # 똠 is one of CP949's additions to EUC-KR
        (KAZAKH, "kz1048", "KZ-1048"),
        (KAZAKH, "ptcp154", "PTCP154"),
        ("НОДИРА: Бизнинг қишлоғимизда ҳамма ўзбекча гапиради.\n", "ptcp154", "PTCP154"),
        (RUSSIAN, "mac_cyrillic", "MacCyrillic"),
    ],
)
def test_korean_kazakh_uzbek_and_mac_encodings_are_read_word_for_word(text, codec, name):
    t = read(text.encode(codec), "interview.txt")
    speaker, words = text.strip().split(": ", 1)
    assert turns(t) == [(speaker, None, words)]
    assert any(f"detected as {name};" in note for note in t.notes)


def test_a_refusal_of_an_unknown_encoding_names_what_was_tried_and_how_to_save_as_utf8():
    with pytest.raises(FormatError) as refused:
        read("A: Crème brûlée\nB: déjà vu, naïve façade".encode("latin-1"), "interview.txt")
    message = str(refused.value)
    assert message.startswith("line 1: the text is in none of the encodings tried")
    for name in ("UTF-8", "UTF-16", "Windows-1251", "KOI8-R", "KZ-1048", "PTCP154", "MacCyrillic", "EUC-KR", "CP949"):
        assert name in message
    assert "save it as UTF-8" in message


def test_text_without_turns_or_timecodes_is_read_as_untimed_and_said():
    untimed = "no speaker turns (NAME: text) and no timecodes ([hh:mm:ss]) were found"
    prose = "Anna Tsoi >> We lived by the sea.\n\nOleg Ten >> Which year?\n"
    for t in (read(prose.encode(), "x.txt"), read(docx(prose.split("\n\n")), "x.docx")):
        assert [s.text for s in t.segments] == ["Anna Tsoi >> We lived by the sea.", "Oleg Ten >> Which year?"]
        assert any(note.startswith(untimed) for note in t.notes)
    assert not any(untimed in note for note in read(data("speakers.txt"), "speakers.txt").notes)
    assert not read(prose.encode(), "story.txt", line_breaks=True).notes  # a family's story is prose by nature


def test_double_encoded_utf8_is_repaired_and_reported():
    t = read("INTERVIEWER: CafÃ© in Ushtobe? NAM: Oui, le cafÃ©.\n".encode(), "x.txt")
    assert "Café in Ushtobe" in t.segments[0].text
    assert any('"CafÃ©" became "Café"' in note for note in t.notes)


def test_decomposed_text_is_stored_as_nfc():
    t = read("A: Уштобё and й\n".replace("й", "и\u0306").encode(), "x.txt")
    assert "й" in t.segments[0].text and "\u0306" not in t.segments[0].text


@pytest.mark.parametrize(
    "blob, message",
    [
        (b"", "the file is empty"),
        (b"   \n\n ", "the file is empty"),
        (bytes(range(256)) * 8, "binary data"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        (b"%PDF-1.7\n", "PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Word 97-2003 (.doc)"),
        ("Привет, это текст".encode("cp1251") + b"\x81\x83\x98" * 20, "none of the encodings tried"),
        ("Crème brûlée à Paris, déjà vu, naïve façade".encode("latin-1"), "none of the encodings tried"),
        (b"A: [00:61:00] too many minutes", 'line 1: timecode "00:61:00" is not a valid time'),
        (b"one\ntwo\nB: (00:10:75) bad seconds", 'line 3: timecode "00:10:75" is not a valid time'),
    ],
)
def test_bad_text_files_are_refused_with_a_reason(blob, message):
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read(blob, "interview.txt")


def test_webvtt_voices_notes_settings_and_real_world_oddities():
    t = read(data("interview.vtt"), "interview.vtt")
    assert t.format == "vtt"
    assert turns(t) == [
        ("Anna Tsoi", 1.0, "We lived by the sea.\nIn Posyet."),
        ("Interviewer", 9.0, "Which year?"),
        ("Anna Tsoi", 10.0, "1937."),
        ("Anna Tsoi", 11.0, "And then the trains came."),  # no voice: the speaker goes on
    ]
    assert t.segments[1].end == 9.0  # ended before it started: end set to start, and said
    assert any(n.startswith("cue 2 (line 11): ends (00:00:05.000) before it starts") for n in t.notes)
    assert t.segments[2].start == t.segments[2].end == 10.0


def test_srt_with_labels_in_hangul():
    t = read(data("interview.srt"), "interview.srt")
    assert t.format == "srt"
    assert turns(t) == [
        ("면담자", 1.0, "어디에서 태어나셨어요?"),
        ("최 마리아", 4.5, "연해주에서 태어났어요."),
        ("최 마리아", 9.0, "기차를 타고 한 달 넘게 갔어요."),
    ]


@pytest.mark.parametrize(
    "name, message",
    [
        ("no-header.vtt", 'does not start with the "WEBVTT" header'),
        ("bad-time.srt", r'cue 2 \(line 6\): timecode "00:00:99,000" is not a valid time'),
        ("broken.xml", r"line 5, column \d+: the XML is broken \(mismatched tag\)"),
        ("external-entity.xml", "declares a DTD or entities"),
        ("billion-laughs.xml", "declares a DTD or entities"),
        ("not-ohms.xml", "not an OHMS export"),
    ],
)
def test_broken_subtitles_and_xml_are_refused_with_a_reason(name, message):
    with pytest.raises(FormatError, match=message):
        read(data(name), name)


def test_words_the_webvtt_rules_would_drop_are_kept_without_a_time_and_named():
    # the specification skips a block with no timing line, and a cue whose timing line it cannot read (61 minutes)
    t = read(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\njust some text\n", "x.vtt")
    assert turns(t) == [(None, 1.0, "ok"), (None, None, "just some text")]
    assert t.notes == ["cue 2 (line 6): no timing line (start --> end); its text was kept without a time"]
    t = read(data("bad-time.vtt"), "bad-time.vtt")
    assert turns(t) == [(None, 1.0, "fine"), (None, 2.0, "fine too"), (None, None, "broken")]
    assert t.segments[2].end is None
    assert t.notes == [
        'cue 3 (line 9): the timing line "00:00:03.000 --> 00:61:00.000" cannot be read; '
        "its text was kept without a time"
    ]


def test_ohms_legacy_transcript_with_sync_index_and_footnotes():
    t = read(data("ohms-legacy.xml"), "ohms-legacy.xml")
    assert t.format == "ohms"
    assert t.metadata["title"] == "Test interview: harvest at the kolkhoz"
    assert t.metadata["date"] == "1998-07-02" and t.metadata["accession"] == "TEST-001"
    assert t.metadata["narrators"] == ["Lidia Nam"] and t.metadata["interviewers"] == ["Oleg Ten", "Vera Lim"]
    assert t.metadata["keywords"] == ["rice", "harvest"] and t.metadata["subjects"] == ["Kolkhozes"]
    assert t.metadata["footnotes"] == ["Harvest lasted from late September."]
    # <sync>1:|4(7)|7(1)</sync>: minute 1 at line 4 word 7, minute 2 at line 7 word 1
    assert turns(t) == [
        ("TEN", 0.0, "We are recording. Please tell me about the harvest."),
        ("NAM", None, "In the autumn we cut"),
        ("NAM", 60.0, "the rice by hand with sickles, all of us, the children too."),
        ("NAM", 120.0, "It took weeks.[note 1]"),
        ("TEN", None, "And then?"),
        ("NAM", None, "Then the rice was carried to the threshing floor."),
    ]
    assert t.segments[2].end == 120.0  # a timed segment ends where the next timed one starts
    first, second = t.toc
    assert (first["start"], first["end"], first["title"], first["title_alt"]) == (0.0, 120.0, "Opening", "Начало")
    assert first["keywords"] == ["introductions", "recording"] and first["keywords_alt"] == ["знакомство"]
    assert first["gps"] == [{"lat": 45.25, "lon": 77.9833, "zoom": 9, "text": "Ushtobe", "text_alt": "Уштобе"}]
    assert first["links"] == [{"url": "https://example.org/kolkhoz", "text": "About kolkhozes", "text_alt": ""}]
    assert second["subjects"] == ["Agriculture", "Rice"] and second["gps"] == []  # "not a place" is dropped


def test_ohms_with_embedded_webvtt():
    t = read(data("ohms-vtt.xml"), "ohms-vtt.xml")
    assert turns(t) == [
        ("KIM", 1.0, "Мы приехали в Уштобе осенью.\nБыло холодно."),
        ("INTERVIEWER", 4.0, "А что было потом?"),
    ]
    assert t.metadata["narrators"] == ["Ким Мария"]


def test_docx_paragraphs_and_tables():
    blob = docx(
        [
            "Интервью (тест команды архива)",
            "Интервьюер: Где вы жили?",
            "[00:03:10] Пак Николай: В Самарканде.",
            "Потом в Туле, на шахте.",
        ],
        table=[("Интервьюер", "А после войны?")],
    )
    t = read(blob, "interview.docx")
    assert t.format == "docx"
    assert turns(t) == [
        (None, None, "Интервью (тест команды архива)"),
        ("Интервьюер", None, "Где вы жили?"),
        ("Пак Николай", 190.0, "В Самарканде."),
        ("Пак Николай", None, "Потом в Туле, на шахте."),
        ("Интервьюер", None, "А после войны?"),
    ]


@pytest.mark.parametrize(
    "blob, message",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "damaged: it is not a readable zip archive"),
        (b"plain words in a file named docx", "named .docx but is not a Word document"),
    ],
)
def test_broken_docx_is_refused(blob, message):
    with pytest.raises(FormatError, match=message):
        read(blob, "interview.docx")


def test_zip_that_is_not_a_word_file_is_refused():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photo.txt", "hello")
    with pytest.raises(FormatError, match="not a Word document"):
        read(out.getvalue(), "x.docx")


def test_format_is_decided_by_content_not_name():
    assert detect(data("interview.vtt"), "misnamed.txt") == "vtt"
    assert detect(data("interview.srt"), "misnamed.txt") == "srt"
    assert detect(data("ohms-legacy.xml"), "export.dat") == "ohms"
    assert detect(docx(["A: hi"]), "letter.txt") == "docx"


def test_every_real_ohms_export_parses(shared_data):
    exports = sorted(p for p in (shared_data / "ohms_scihist").rglob("*.xml") if p.name != "ohms.xsd")
    assert len(exports) >= 9
    for path in exports:
        if path.name == "empty_ohms.xml":
            with pytest.raises(FormatError, match="holds no transcript and no index points"):
                read(path.read_bytes(), path.name)
            continue
        t = read(path.read_bytes(), path.name)
        assert t.segments or t.toc, path.name
        assert all(s.text for s in t.segments)
    duarte = read((shared_data / "ohms_scihist/legacy/duarte_OH0344.xml").read_bytes())
    assert len(duarte.toc) == 7
    assert duarte.toc[0]["gps"][0]["text"] == "Pescadero, California"
    assert "Half Moon Bay" in duarte.toc[0]["keywords"]
    assert any(s.start == 1680.0 for s in duarte.segments)  # the 28th minute of <sync>
    hyperlinks = read((shared_data / "ohms_scihist/index_hyperlinks_example.xml").read_bytes())
    assert any(point["links"] for point in hyperlinks.toc)
    v6 = read((shared_data / "ohms_scihist/chappelear-ohmsvtt-example.xml").read_bytes())
    assert v6.segments[0].speaker == "SCHNEIDER"


def test_tab_separated_export_with_a_header_is_one_segment_a_row():
    t = read(data("columns-header.tsv"), "export.tsv")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Interviewer", 1.5, 4.0, "Where were you born?"),
        ("Anna Tsoi", 4.0, 9.25, '"We had a boat," my father said. We lived by the sea.'),
        ("Interviewer", 9.25, 62.0, "And then?"),  # no end given: it ends where the next row begins
        ("Анна Цой", 62.0, 90.0, "Потом нас повезли."),
    ]
    assert t.notes[-5:] == [
        "read as a table of 4 rows with columns separated by tabs, the first row its header",
        'column 1 ("Speaker") read as the speaker',
        'column 2 ("Start Time") read as the start time',
        'column 3 ("End Time") read as the end time',
        'column 4 ("Text") read as the text',
    ]


def test_headerless_tab_separated_columns_are_told_by_content():
    t = read(data("columns-headerless.tsv"), "export.txt")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("INT", 1.0, 4.0, "Where were you born?"),
        ("TSOI", 4.0, 70.0, "In Posyet, by the sea, near the border with Korea."),
        ("INT", 70.0, 75.0, "And then?"),
        ("TSOI", 75.0, None, "Then the train, for a month."),
    ]
    assert t.notes == [
        "read as a table of 4 rows with columns separated by tabs, without a header row",
        'column 1 ("[00:00:01]") read as the start time',
        'column 2 ("INT") read as the speaker',
        'column 3 ("Where were you born?") read as the text',
    ]


def test_comma_separated_quoted_text_keeps_its_commas_quotes_and_line_breaks():
    t = read(data("columns-quoted.csv"), "export.csv")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Interviewer", 1.0, 4.0, "Where, exactly, were you born?"),
        ("Anna Tsoi", 4.0, 9.0, 'In Posyet.\nBy the sea, "near" Korea.'),
    ]
    assert 'column 1 ("text") read as the text' in t.notes


@pytest.mark.parametrize(
    "header",
    ["Sprecher\tBeginn\tEnde\tTranskript", "спикер\tначало\tконец\tтекст", "говорящий\tin\tout\ttranscript"],
)
def test_header_names_in_german_russian_and_english(header):
    t = read(f"{header}\nA\t0:05\t0:07\tJa.\nB\t0:07\t0:09\tNein.\n".encode(), "x.txt")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("A", 5.0, 7.0, "Ja."),
        ("B", 7.0, 9.0, "Nein."),
    ]


def test_prose_with_commas_and_a_tab_indented_paragraph_is_not_a_table():
    prose = (
        "We came in autumn, when the leaves fell, and stayed.\n"
        "The train was cold, crowded, slow.\n"
        "Mother said, be patient, and we were.\n"
        "\tLater, in spring, we built a house.\n"
    )
    t = read(prose.encode(), "x.txt")
    assert len(t.segments) == 1 and t.segments[0].text.startswith("We came in autumn, when")
    assert not any("table" in note for note in t.notes)


def test_turns_marked_with_chevrons_with_and_without_a_name():
    lines = []
    for i in range(100):
        lines.append(f">> REPORTER: Question {i}, asked in court?")
        lines.append(f">> Answer {i}, given plainly." if i % 2 else f">>WITNESS: Answer {i}.")
    t = read("\n".join(lines).encode(), "court.txt")
    assert len(t.segments) == 200
    expected = []
    for i in range(100):
        expected.append(("REPORTER", None, f"Question {i}, asked in court?"))
        expected.append((None, None, f"Answer {i}, given plainly.") if i % 2 else ("WITNESS", None, f"Answer {i}."))
    assert turns(t) == expected


def test_question_and_answer_markers_in_three_languages():
    text = "Q: Where were you born?\nA: In Posyet.\nВ: Где?\nО: В Посьете.\n문: 어디서?\n답: 포시예트에서.\n"
    assert turns(read(text.encode(), "x.txt")) == [
        ("Q", None, "Where were you born?"),
        ("A", None, "In Posyet."),
        ("В", None, "Где?"),
        ("О", None, "В Посьете."),
        ("문", None, "어디서?"),
        ("답", None, "포시예트에서."),
    ]


def test_bracketed_names_open_turns_but_bracketed_remarks_stay_in_the_text():
    text = (
        "[Interviewer] Where were you born?\n"
        "[Anna Tsoi] In Posyet. [Laughs]\n"
        "[Laughs] It was long ago.\n"
        "[Laughs] Very long.\n"
        "[Interviewer]\n"
        "And then?\n"
        "[Anna Tsoi] [00:01:10] We went by train.\n"
    )
    assert turns(read(text.encode(), "x.txt")) == [
        ("Interviewer", None, "Where were you born?"),
        ("Anna Tsoi", None, "In Posyet. [Laughs] [Laughs] It was long ago. [Laughs] Very long."),
        ("Interviewer", None, "And then?"),
        ("Anna Tsoi", 70.0, "We went by train."),
    ]


def test_speaker_names_alone_on_their_own_line():
    text = (
        "INTERVIEWER\nWhere were you born?\n\n"
        "Anna Tsoi\nIn Posyet, by the sea.\nWe lived near the school.\n\n"
        "INTERVIEWER\nAnd then?\n\n"
        "Anna Tsoi\nThen the train.\n\n"
        "Afterword\nA heading seen once is not a speaker.\n"
    )
    assert turns(read(text.encode(), "x.txt")) == [
        ("INTERVIEWER", None, "Where were you born?"),
        ("Anna Tsoi", None, "In Posyet, by the sea. We lived near the school."),
        ("INTERVIEWER", None, "And then?"),
        ("Anna Tsoi", None, "Then the train."),
        ("Anna Tsoi", None, "Afterword A heading seen once is not a speaker."),
    ]


def test_a_timecode_column_beside_labelled_text_keeps_the_labels_as_speakers():
    text = (
        "00:00:05\tINTERVIEWER: Where were you born?\n00:00:09\tTSOI: In Posyet.\n00:00:12\tAnd the school was near.\n"
    )
    t = read(text.encode(), "x.txt")
    assert turns(t) == [
        ("INTERVIEWER", 5.0, "Where were you born?"),
        ("TSOI", 9.0, "In Posyet."),
        ("TSOI", 12.0, "And the school was near."),  # a row without a label goes on with the voice before
    ]


def test_a_row_number_column_is_left_unread_and_said_so():
    text = "1\t00:00:01\t00:00:03\tANNA\tGood morning to you all.\n2\t00:00:03\t00:00:06\tBORIS\tAnd to you.\n"
    t = read(text.encode(), "x.txt")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("ANNA", 1.0, 3.0, "Good morning to you all."),
        ("BORIS", 3.0, 6.0, "And to you."),
    ]
    assert t.notes[-1] == "columns not read: 1"


PDF_PAGES = [
    ["Архив устной истории · тестовая расшифровка", "ИНТЕРВЬЮЕР: Где вы родились?", "[00:01:05] ЦОЙ: В Посьете,"],
    ["Архив устной истории · тестовая расшифровка", "у самого моря.", "최 마리아: 우슈토베에 도착했어요.", "- 2 -"],
    [
        "Архив устной истории · тестовая расшифровка",
        ">> Then winter came.",
        "ЦОЙ: Зимой жили в землянке.",
        "Page 3 of 3",
    ],
]


def test_pdf_text_layer_in_three_scripts_is_read_into_turns_without_running_lines():
    blob = pdf(PDF_PAGES)
    assert detect(blob, "transcript.bin") == "pdf" and detect(blob, "letter.txt") == "pdf"
    for t in (read(blob, "transcript.bin"), read(locked_pdf(blob, ""), "x.pdf")):  # locked against editing only: read
        assert t.format == "pdf"
        assert turns(t) == [
            ("ИНТЕРВЬЮЕР", None, "Где вы родились?"),
            ("ЦОЙ", 65.0, "В Посьете, у самого моря."),  # a turn goes on across the page break
            ("최 마리아", None, "우슈토베에 도착했어요."),
            (None, None, "Then winter came."),
            ("ЦОЙ", None, "Зимой жили в землянке."),
        ]
        assert [str(n) for n in t.notes] == [
            "the text was taken from a PDF: its words are kept, but its layout (columns, tables, footnotes) may be "
            "lost; compare the passages with the PDF",
            "lines left out of the text as running headers, footers or page numbers: 5",
        ]
    # two pages are too few to tell a running header from the text: nothing but page numbers is left out
    t = read(pdf([["Глава 1", "ЦОЙ: Да.", "1"], ["Глава 1", "АННА: Нет.", "2"]]), "x.pdf")
    assert [s.text for s in t.segments] == ["Глава 1", "Да. Глава 1", "Нет."]
    # lines alike but for their numbers, on every page and all through it, are the text, not a running header
    t = read(pdf([[f"[00:0{p}:0{n}] ЦОЙ: Да." for n in range(3)] for p in range(3)]), "x.pdf")
    assert [s.start for s in t.segments] == [p * 60 + n for p in range(3) for n in range(3)] and len(t.notes) == 1


def scanned_by_pillow() -> bytes:
    """Two grey pages saved as a PDF by Pillow, which writes pictures and no text, as a scanner does."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (200, 300), 200).save(out, "PDF", save_all=True, append_images=[Image.new("L", (200, 300), 90)])
    return out.getvalue()


def test_a_pdf_page_without_text_is_named_in_the_report():
    blob = pdf([["ЦОЙ: Да."], ["АННА: Нет."], ["ЦОЙ: Да."], ["АННА: Нет."]])
    streams = list(re.finditer(rb"<< /Length \d+ >>\nstream\nBT", blob))
    for found in reversed(streams[1:3]):  # pages 2 and 3 claim a compression their content is not in
        blob = blob[: found.start()] + found.group().replace(b"<< ", b"<< /Filter /FlateDecode ") + blob[found.end() :]
    t = read(blob, "x.pdf")
    assert turns(t) == [("ЦОЙ", None, "Да."), ("АННА", None, "Нет.")]
    assert str(t.notes[1]) == (
        "no text was found on pages 2, 3 of the PDF (pictures of pages, blank pages or damage): any words on them are "
        "not in the transcript"
    )


@pytest.mark.parametrize(
    "blob, message",
    [
        (pdf([["x"], ["y"]], image_only=True), "holds pictures of its pages (a scan) and no text; "),
        (scanned_by_pillow(), "holds pictures of its pages (a scan) and no text; "),
        (locked_pdf(pdf(PDF_PAGES), "secret"), "locked with a password"),
        (re.sub(rb"/ToUnicode \d+ 0 R", b"", pdf(PDF_PAGES)), "its fonts do not say which letters they draw"),
        (pdf(PDF_PAGES)[:900], "PDF document is damaged or cut short"),
        (pdf(PDF_PAGES)[:-60] + b"garbage" * 4, "PDF document is damaged or cut short"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", "damaged"),
        (pdf([["A: [00:61:00] late"]]), 'line 1 of the text taken from the PDF: timecode "00:61:00" is not'),
    ],
    ids=[
        "scanned",
        "scanned-by-pillow",
        "encrypted",
        "no-unicode-map",
        "truncated",
        "broken-tail",
        "no-pages",
        "bad-timecode",
    ],
)
def test_pdfs_without_a_readable_text_layer_are_refused_with_the_reason(blob, message):
    with pytest.raises(FormatError) as refused:
        read(blob, "interview.pdf")
    assert message in str(refused.value)


def test_a_pdf_over_the_page_limit_is_refused(monkeypatch):
    from archive.formats import pdf as pdf_reader

    monkeypatch.setattr(pdf_reader, "MAX_PAGES", 2)
    with pytest.raises(FormatError, match="this PDF has 3 pages; transcripts of more than 2 pages are refused"):
        read(pdf(PDF_PAGES), "interview.pdf")


ODT_BODY = (
    '<text:h text:outline-level="1">Интервью <text:span>(тест команды архива)</text:span></text:h>'
    "<text:p>Интервьюер:<text:tab/>Где вы жили?"
    "<office:annotation><text:p>проверить</text:p></office:annotation></text:p>"
    '<text:p>[00:03:10] Пак Николай: В<text:s text:c="3"/>Самарканде.<text:line-break/>Потом в Туле,'
    '<text:s/>на <text:span text:style-name="T1">шахте</text:span>.<text:note text:note-class="footnote">'
    "<text:note-citation>1</text:note-citation><text:note-body><text:p>Шахта № 5.</text:p></text:note-body>"
    "</text:note></text:p>"
    "<text:list><text:list-item><text:p>최 마리아: 우슈토베에 도착했어요.</text:p></text:list-item></text:list>"
    "<table:table><table:table-header-rows><table:table-row><table:table-cell><text:p>Интервьюер</text:p>"
    "</table:table-cell><table:table-cell><text:p>А после войны?</text:p></table:table-cell></table:table-row>"
    "</table:table-header-rows><table:table-row><table:table-cell><text:p>Пак Николай</text:p></table:table-cell>"
    "<table:table-cell><table:table><table:table-row><table:table-cell><text:p>Вернулись</text:p></table:table-cell>"
    "<table:table-cell><text:p>домой.</text:p></table:table-cell></table:table-row></table:table></table:table-cell>"
    "</table:table-row></table:table>"
)


def test_opendocument_text_gives_the_words_a_reader_sees():
    blob = odt(ODT_BODY)
    assert detect(blob, "letter.docx") == "odt" and detect(blob, "x") == "odt"
    t = read(blob, "interview.odt")
    assert t.format == "odt"
    assert turns(t) == [
        (None, None, "Интервью (тест команды архива)"),
        ("Интервьюер", None, "Где вы жили?"),  # the comment is not in the text
        ("Пак Николай", 190.0, "В   Самарканде. Потом в Туле, на шахте.1"),
        ("최 마리아", None, "우슈토베에 도착했어요."),
        ("Интервьюер", None, "А после войны?"),
        ("Пак Николай", None, "Вернулись домой."),  # a table in a cell gives its text once
        ("Пак Николай", None, "Шахта № 5."),  # the footnote, at the end as a reader finds it
    ]


@pytest.mark.parametrize(
    "blob, name, message",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "interview.odt", "OpenDocument (.odt) file is damaged"),
        (b"plain words", "interview.odt", "named .odt but is not an OpenDocument text"),
        (odt("<text:p>unclosed"), "interview.odt", "content.xml) is not readable XML"),
        (odt("<text:p>x</text:p>", "application/vnd.oasis.opendocument.spreadsheet"), "a.ods", "not a text document"),
        (odt('<!DOCTYPE x [<!ENTITY a "aaaa">]><text:p>&a;</text:p>'), "a.odt", "not readable XML"),
    ],
    ids=["broken-zip", "not-a-zip", "broken-xml", "spreadsheet", "entity"],
)
def test_broken_opendocument_is_refused(blob, name, message):
    with pytest.raises(FormatError, match=re.escape(message)):
        read(blob, name)


def test_an_opendocument_without_content_xml_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(FormatError, match="holds no content.xml"):
        read(out.getvalue(), "x.odt")


def test_frame_count_timecodes_in_a_table_and_in_text_are_read_as_whole_seconds():
    table = "Speaker\tIn\tOut\tText\nANNA\t00:00:05:12\t00:00:09;29\tDa.\nOLEG\t01:00:10:00\t01:00:12:24\tNet.\n"
    t = read(table.encode(), "export.tsv")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("ANNA", 5.0, 9.0, "Da."),
        ("OLEG", 3610.0, 3612.0, "Net."),
    ]
    t = read(b"[00:00:05:12] ANNA: Da.\n[00:00:09;29] OLEG: Net. (00:01:00:00) Well.\n", "interview.txt")
    assert turns(t) == [("ANNA", 5.0, "Da."), ("OLEG", 9.0, "Net."), ("OLEG", 60.0, "Well.")]
    with pytest.raises(FormatError, match='line 1: timecode "00:00:05:75" is not a valid time'):
        read(b"[00:00:05:75] ANNA: Da.\n", "interview.txt")
