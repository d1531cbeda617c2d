"""WebVTT read as its specification reads it, SRT as leniently, and no word lost where the rules would drop one.

The web-platform-tests' WebVTT parsing cases (../shared/data/webvtt_wpt) give the cues a spec-following parser finds;
the files made here give what real subtitle files carry: old cue settings, lines of spaces inside cues, uncertainty
marks, broken timing lines, long hours, REGION and STYLE blocks.
"""

import json
from pathlib import Path

import pytest

from archive.formats import FormatError, read

WPT = Path(__file__).resolve().parents[2] / "shared" / "data" / "webvtt_wpt"
KEPT = "its text was kept without a time"


def turns(transcript):
    return [(s.speaker, s.start, s.end, s.text) for s in transcript.segments]


@pytest.mark.parametrize("case", sorted(p.stem for p in WPT.glob("*.vtt")))
def test_every_web_platform_parsing_case_gives_the_specifications_cues(shared_data, case):
    folder = shared_data / "webvtt_wpt"
    expected = json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))
    try:
        t = read((folder / f"{case}.vtt").read_bytes(), f"{case}.vtt")
    except FormatError:
        assert expected["cue_count"] == 0  # refused only when the specification finds no cue either
        return
    timed = [(s.start, s.end, s.text) for s in t.segments if s.start is not None]
    reversed_cues = [c for c in expected["cues"] if c["endTime"] < c["startTime"]]
    assert timed == [(c["startTime"], max(c["startTime"], c["endTime"]), c["text"].strip()) for c in expected["cues"]]
    # a cue that ends before it starts is kept with its end set to its start, and said
    assert sum("before it starts" in n for n in t.notes) == len(reversed_cues)
    # what the specification drops is kept without a time, each with a note naming it
    untimed = [s for s in t.segments if s.start is None]
    assert sum(KEPT in n for n in t.notes) == len(untimed)
    assert all(s.end is None for s in untimed)


def test_cue_settings_old_unknown_invalid_or_repeated_are_ignored():
    t = read(
        b"WEBVTT\n\n"
        b"00:00:01.000 --> 00:00:02.000 align:middle\nFirst.\n\n"
        b"00:00:02.000 --> 00:00:03.000 align:start align:start line:-1 size:abc vertical:none foo:bar position\n"
        b"Second.\n",
        "old-settings.vtt",
    )
    assert turns(t) == [(None, 1.0, 2.0, "First."), (None, 2.0, 3.0, "Second.")]
    assert t.notes == []


def test_header_region_and_style_blocks_long_hours_and_an_arrow_in_cue_text():
    t = read(
        "\ufeffWEBVTT\tKind: captions\nLanguage: ru\n"  # header text, and no blank line before the first block
        "REGION\nid:bottom width:40%\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "::cue(b) { color: red }\n\n"  # style rules that went on after a blank line
        "NOTE transcribed by volunteers\n\n"
        "1:00:00.000 --> 1:00:04.000 region:bottom\n<v Ким Мария>Мы жили у моря.\n\n"
        "intro 2\n100:00:00.000 --> 100:00:01.500\nСто часов.\nnext --> cue\n"
        "00:05.000 --> 00:06.000\nОпять.\n".encode(),
        "long.vtt",
    )
    assert turns(t) == [
        ("Ким Мария", 3600.0, 3604.0, "Мы жили у моря."),
        ("Ким Мария", 360000.0, 360001.5, "Сто часов."),
        # "-->" in cue text ends the cue: that line is a block of its own with no readable timing line, skipped
        ("Ким Мария", 5.0, 6.0, "Опять."),
    ]
    assert t.notes == ['cue 3 (line 19): "next --> cue" is not a timing line (start --> end); it was skipped']


def test_a_line_of_spaces_inside_a_cue_is_cue_text_in_webvtt_and_srt():
    vtt = read(
        b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nWe lived\n   \nby the sea.\n\n"
        b"00:00:03.000 --> 00:00:99.000\nA bad time.\n",
        "spaces.vtt",
    )
    assert [(s.start, s.text) for s in vtt.segments] == [(1.0, "We lived\n   \nby the sea."), (None, "A bad time.")]
    assert vtt.notes == [
        'cue 2 (line 8): the timing line "00:00:03.000 --> 00:00:99.000" cannot be read; '
        "its text was kept without a time"
    ]
    srt = read(
        b"1\n00:00:01,000 --> 00:00:03,000\nWe lived\n \t\nby the sea.\n\n2\n00:00:03,000 --> 00:00:05,000\nYes.\n",
        "spaces.srt",
    )
    assert [(s.start, s.end, s.text) for s in srt.segments] == [
        (1.0, 3.0, "We lived\n \t\nby the sea."),
        (3.0, 5.0, "Yes."),
    ]
    # a refusal names the cue after the line of spaces rightly: its number, its own identifier and its line
    with pytest.raises(FormatError, match=r'^cue 2 "7" \(line 8\): timecode "00:00:99,000" is not a valid time$'):
        read(
            b"1\n00:00:01,000 --> 00:00:03,000\nWe lived\n  \nby the sea.\n\n7\n00:00:03,000 --> 00:00:99,000\nNo.\n",
            "x.srt",
        )


def test_uncertainty_marks_keep_their_text_and_references_are_decoded():
    t = read(
        b"WEBVTT\n\nq1\n00:00:01.000 --> 00:00:04.000\n"
        b"<v.loud Anna &amp; Tsoi>We came in <[?]> autumn, <i>I think</i>.\n\n"
        b"00:00:04.000 --> 00:00:06.000\n<c.yellow>Tom &amp; Jerry</c> &lt;3&nbsp;years&lrm; <[inaudible]> <[?]>\n",
        "marks.vtt",
    )
    assert turns(t) == [
        ("Anna & Tsoi", 1.0, 4.0, "We came in [?] autumn, I think."),
        ("Anna & Tsoi", 4.0, 6.0, "Tom & Jerry <3\xa0years\u200e [inaudible] [?]"),
    ]
    assert t.notes == [
        'cue 1 "q1" (line 4): "<[?]>" is not subtitle markup; its text "[?]" was kept (times found: 2)',
        'cue 2 (line 7): "<[inaudible]>" is not subtitle markup; its text "[inaudible]" was kept',
    ]


def test_a_kept_cue_is_ingested_and_the_report_names_it(runner, app, tmp_path):
    path = tmp_path / "broken-timing.vtt"
    path.write_bytes(
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna>We lived by the sea.\n\n"
        b"intro\n00:00:02.000 -> 00:00:03.000\nThen the trains came.\n"
    )
    result = runner("ingest", str(path))
    assert result.exit_code == 0, result.output
    assert (
        'note: cue 2 "intro" (line 7): the timing line "00:00:02.000 -> 00:00:03.000" cannot be read; '
        "its text was kept without a time" in result.output
    )
    folder = next((app.config["ARCHIVE_DATA"] / "interviews").iterdir())
    segments = json.loads((folder / "segments.json").read_text(encoding="utf-8"))
    assert [(s["speaker"], s["start"], s["text"]) for s in segments] == [
        ("Anna", 1.0, "We lived by the sea."),
        ("Anna", None, "Then the trains came."),
    ]


def test_webvtt_inside_an_ohms_export_is_read_the_same_way_and_its_notes_are_kept():
    blob = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record>'
        b"<version>6.0</version><title>Test</title><index/><vtt_transcript><![CDATA[WEBVTT\n\n"
        b"00:00:01.000 --> 00:00:02.000 align:middle\n<v KIM>We came in <[?]> autumn.\n]]></vtt_transcript>"
        b"</record></ROOT>"
    )
    t = read(blob, "ohms.xml")
    assert turns(t) == [("KIM", 1.0, 2.0, "We came in [?] autumn.")]
    assert t.notes == ['in <vtt_transcript>: cue 1 (line 3): "<[?]>" is not subtitle markup; its text "[?]" was kept']
