"""Offline forced alignment (issue 20): speech made here with espeak-ng, in a voice variant and at a rate other than
the aligner's own synthesis, from a known Russian and a known Korean text of six passages each, joined by silences
of varying length with background noise of our own (hiss and mains hum, a fixed seed) into one WAV; we remember
where each passage was spoken, ingest it with its untimed transcript, and ask the services and the `archive align`
command for the times. Skipped where the optional extra (`pip install -e '.[align]'`) or espeak-ng is missing; CI
installs both."""

import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import factories
import pytest

from archive import alignment, create_app
from archive.errors import ConflictError
from archive.ingest import Ingester
from archive.names import shipped_gazetteer
from archive.transcripts import TranscriptError

ALIGNER = shutil.which("espeak-ng") is not None and alignment.available()
needs_aligner = pytest.mark.skipif(
    not ALIGNER,
    reason="the optional aligner is not installed (pip install -e '.[align]' and Debian's espeak-ng; see the README)",
)

RUSSIAN = [
    "В тысяча девятьсот тридцать седьмом году нашу семью посадили в товарный вагон.",
    "Ехали мы почти месяц, и никто не знал, куда нас везут.",
    "Мама прятала под платьем мешочек с семенами риса.",
    "Зимой мы жили в землянке на берегу реки Сырдарьи.",
    "Отец ходил на работу в колхоз за двенадцать километров.",
    "Весной мы посадили первый рис, и соседи-казахи помогали нам водой.",
]
KOREAN = [
    "천구백삼십칠년 가을에 우리 가족은 기차에 실려 떠났습니다.",
    "한 달 동안 어디로 가는지 아무도 몰랐습니다.",
    "어머니는 치마 속에 볍씨 주머니를 숨기셨습니다.",
    "첫 겨울에는 강가의 토굴에서 살았습니다.",
    "아버지는 매일 먼 농장까지 걸어서 일하러 가셨습니다.",
    "봄이 되자 이웃 카자흐 사람들이 물을 나누어 주었습니다.",
]
# other words entirely: what a transcript of another interview, filed by mistake, would be
UNRELATED = [
    "Сегодня хорошая погода, и мы идём гулять в парк.",
    "Компьютер стоит на столе рядом с окном.",
    "Футбольный матч закончился со счётом два один.",
    "Я люблю читать книги о космосе и звёздах.",
    "Поезд прибывает на третий путь через пять минут.",
    "Магазин закрыт на обед до двух часов.",
]
# a passage the transcript holds and the recording does not (a typist's addition)
INSERTED = "Потом пришла зима, и было очень холодно и голодно."
TOLERANCE = 0.5  # seconds


def speech(voice: str, texts: list[str], out: Path, pauses: list[float], seed: int) -> list[tuple[float, float]]:
    """Speak `texts` with espeak-ng at 130 words a minute in `voice` (the aligner speaks at espeak-ng's default 175
    with the plain voice), join them with the silences `pauses` (seconds), add hiss and a 50 Hz hum, write one WAV;
    return where each text is spoken (seconds)."""
    import numpy

    rng = numpy.random.default_rng(seed)
    pieces, spans, at, rate = [], [], 0.0, 22050
    for i, text in enumerate(texts):
        piece = out.with_suffix(f".{i}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", "130", "-w", str(piece), text], check=True)
        with wave.open(str(piece)) as w:
            rate = w.getframerate()
            samples = numpy.frombuffer(w.readframes(w.getnframes()), dtype=numpy.int16).astype(numpy.float64)
        piece.unlink()
        loud = numpy.flatnonzero(numpy.abs(samples) > 300)  # espeak-ng's own quiet before and after, cut
        samples = samples[loud[0] : loud[-1] + 1]
        gap = 1.3 if i == 0 else pauses[i - 1]
        pieces += [numpy.zeros(int(gap * rate)), samples]
        at += gap
        spans.append((at, at + samples.size / rate))
        at += samples.size / rate
    pieces.append(numpy.zeros(int(1.1 * rate)))
    sound = numpy.concatenate(pieces)
    sound += rng.normal(0, 300, sound.size) + 250 * numpy.sin(2 * numpy.pi * 50 * numpy.arange(sound.size) / rate)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(numpy.clip(sound, -32768, 32767).astype(numpy.int16).tobytes())
    return spans


def cut_wav(path: Path, at: float, first: Path, second: Path) -> None:
    """Cut a WAV in two at `at` seconds, as a recording kept on two tapes."""
    with wave.open(str(path)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    middle = int(at * rate) * 2
    for out, data in ((first, frames[:middle]), (second, frames[middle:])):
        with wave.open(str(out), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(data)


def ingest(app, title: str, texts: list[str], language: str, audio: Path | None, parts=None) -> str:
    """An untimed transcript (one paragraph a passage) with its recording."""
    collection = app.extensions["collection"]
    ingester = Ingester(collection, shipped_gazetteer(), "tester", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(
        "\n\n".join(texts).encode(),
        f"{title}.txt",
        {
            "title": title,
            "narrators": "Anna Tsoi",
            "interviewers": "Pyotr Kim",
            "date": "1998-05",
            "languages": language,
            "access": "public",
        },
        audio,
        f"{title}.wav" if audio else "",
        same_content_ok=True,
        parts=parts,
    )
    assert outcome.status == "ingested", outcome
    return outcome.interview_id


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app: a Russian and a Korean interview with their spoken recordings, a Russian recording filed with
    unrelated words, the Russian recording cut in two parts (two tapes), and interviews in a language the aligner
    does not speak and without a recording."""
    root = tmp_path_factory.mktemp("aligned")
    sounds = tmp_path_factory.mktemp("sounds")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    if ALIGNER:
        said = {
            "ru": speech("ru+f3", RUSSIAN, sounds / "ru.wav", [0.4, 2.5, 0.8, 1.6, 3.0], seed=20),
            "ko": speech("ko+m2", KOREAN, sounds / "ko.wav", [1.9, 0.5, 2.8, 0.9, 1.4], seed=37),
        }
        # the first tape ends in the pause after the fourth passage
        cut_wav(sounds / "ru.wav", (said["ru"][3][1] + said["ru"][4][0]) / 2, sounds / "ru-1.wav", sounds / "ru-2.wav")
    else:  # the refusals made before any work are still checked
        said = {}
        for name in ("ru", "ko", "ru-1", "ru-2"):
            (sounds / f"{name}.wav").write_bytes(factories.wav(16000))
    ids = {
        "ru": ingest(app, "Deportation", RUSSIAN, "ru", sounds / "ru.wav"),
        "ko": ingest(app, "Deportation (Korean)", KOREAN, "ko", sounds / "ko.wav"),
        "mismatched": ingest(app, "Another interview's words", UNRELATED, "ru", sounds / "ru.wav"),
        "inserted": ingest(app, "With an addition", [*RUSSIAN[:3], INSERTED, *RUSSIAN[3:]], "ru", sounds / "ru.wav"),
        "german": ingest(app, "Auf Deutsch", ["Wir fuhren einen Monat lang."], "de", sounds / "ru.wav"),
        "silent": ingest(app, "Words only", RUSSIAN[:2], "ru", None),
        "tapes": ingest(
            app, "Two tapes", RUSSIAN, "ru", sounds / "ru-1.wav", [((sounds / "ru-2.wav").read_bytes(), "ru-2.wav")]
        ),
    }
    return app, ids, said


def segments_file(app, interview_id) -> bytes:
    return app.extensions["collection"].read("interviews", interview_id, "segments.json").data


@needs_aligner
@pytest.mark.parametrize("language", ["ru", "ko"])
def test_every_boundary_is_found_within_half_a_second_of_where_it_was_spoken(world, language):
    app, ids, said = world
    seen = []
    with app.app_context():
        proposal, version = app.extensions["services"].transcripts.propose_alignment(
            ids[language], progress=lambda done, total: seen.append((done, total))
        )
    assert version == app.extensions["collection"].read("interviews", ids[language], "segments.json").version
    assert [t.n for t in proposal.timings] == [s["n"] for s in json.loads(segments_file(app, ids[language]))]
    for timing, (start, end) in zip(proposal.timings, said[language], strict=True):
        assert abs(timing.start - start) <= TOLERANCE, (timing, start)
        assert abs(timing.end - end) <= TOLERANCE, (timing, end)
        assert not timing.unsure, timing
    assert proposal.score < alignment.REFUSE_RATIO and proposal.passes == 1
    assert seen[-1] == (100, 100) and [d for d, _ in seen] == sorted(d for d, _ in seen)


@needs_aligner
def test_a_recording_in_two_parts_is_aligned_in_continuous_time(world):
    app, ids, said = world
    record = json.loads((app.config["ARCHIVE_DATA"] / "interviews" / ids["tapes"] / "interview.json").read_text())
    assert [p["part"] for p in record["recordings"]] == [1, 2]
    with app.app_context():
        proposal, _ = app.extensions["services"].transcripts.propose_alignment(ids["tapes"])
    assert round(proposal.duration, 2) == round(
        record["recordings"][1]["offset"] + record["recordings"][1]["duration"], 2
    )
    for timing, (start, end) in zip(proposal.timings, said["ru"], strict=True):
        assert abs(timing.start - start) <= TOLERANCE and abs(timing.end - end) <= TOLERANCE, (timing, start, end)
        assert not timing.unsure, timing


@needs_aligner
def test_a_passage_the_recording_does_not_hold_is_marked_unsure_with_its_neighbours(world):
    app, ids, said = world
    with app.app_context():
        proposal, _ = app.extensions["services"].transcripts.propose_alignment(ids["inserted"])
    assert [t.n for t in proposal.timings if t.unsure] == [3, 4, 5]  # the addition, and the boundaries it shares
    spoken = [t for t in proposal.timings if t.n != 4]
    for timing, (start, end) in zip(spoken, said["ru"], strict=True):
        if not timing.unsure:  # the passages it is sure of are where they were spoken
            assert abs(timing.start - start) <= TOLERANCE and abs(timing.end - end) <= TOLERANCE, (timing, start, end)


@needs_aligner
def test_a_long_recordings_two_passes_find_the_same_boundaries(world, monkeypatch):
    """What an hour's recording takes (bench/align.py), here on 35 seconds: a cost matrix budget small enough that
    the path is found coarse first, then fine in pieces of 8 seconds with 3 either side."""
    app, ids, said = world
    for name, value in (("MATRIX_BYTES", 200_000), ("PIECE", 8.0), ("CONTEXT", 3.0)):
        monkeypatch.setattr(alignment, name, value)
    with app.app_context():
        proposal, _ = app.extensions["services"].transcripts.propose_alignment(ids["ko"])
    assert proposal.passes == 2
    for timing, (start, end) in zip(proposal.timings, said["ko"], strict=True):
        assert abs(timing.start - start) <= TOLERANCE and abs(timing.end - end) <= TOLERANCE, (timing, start, end)


@needs_aligner
def test_a_job_can_cancel_the_work_between_blocks_and_nothing_is_written(world):
    app, ids, _ = world
    before = segments_file(app, ids["ko"])
    seen = []
    with app.app_context(), pytest.raises(alignment.Cancelled):
        app.extensions["services"].transcripts.propose_alignment(
            ids["ko"], progress=lambda done, total: seen.append(done), cancelled=lambda: bool(seen) and seen[-1] >= 50
        )
    assert seen[-1] == 50  # asked again once the passages were spoken, and stopped before the path
    assert segments_file(app, ids["ko"]) == before


@needs_aligner
def test_a_mismatched_transcript_is_refused_with_the_low_confidence_message_and_nothing_changes(world):
    app, ids, _ = world
    before = segments_file(app, ids["mismatched"])
    with app.app_context(), pytest.raises(alignment.LowConfidence) as refused:
        app.extensions["services"].transcripts.propose_alignment(ids["mismatched"])
    assert refused.value.code == "low-confidence"
    result = invoke(app, "align", ids["mismatched"], "--accept")
    assert result.exit_code == 1
    assert "do not match the recording" in result.output and "Nothing was changed" in result.output
    assert segments_file(app, ids["mismatched"]) == before


@needs_aligner
def test_archive_align_accept_saves_the_proposed_starts_and_ends_as_a_new_version(world):
    app, ids, said = world
    collection = app.extensions["collection"]
    with app.app_context():
        proposal, version = app.extensions["services"].transcripts.propose_alignment(ids["ru"])
    shown = invoke(app, "align", ids["ru"])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.stdout.splitlines() if line.strip()]
    assert len(lines) == 6 and lines[0].split()[0] == "1" and "тысяча" in lines[0]
    assert collection.read("interviews", ids["ru"], "segments.json").version == version  # nothing saved yet

    accepted = invoke(app, "align", ids["ru"], "--accept", "--author", "historian")
    assert accepted.exit_code == 0, accepted.output
    saved = json.loads(segments_file(app, ids["ru"]))
    assert [(s["start"], s["end"]) for s in saved] == [(t.start, t.end) for t in proposal.timings]
    assert [s["text"] for s in saved] == RUSSIAN
    assert len(collection.history("interviews", ids["ru"], "segments.json")) == 1  # the untimed one, kept
    assert collection.last_change("interviews", ids["ru"], "segments.json")["author"] == "historian"


def test_what_the_aligner_cannot_do_is_refused_before_any_work(world, tmp_path):
    app, ids, _ = world
    transcripts = app.extensions["services"].transcripts
    with app.app_context():
        with pytest.raises(alignment.UnknownLanguage) as unknown:
            transcripts.propose_alignment(ids["german"])
        with pytest.raises(alignment.NoRecording) as none:
            transcripts.propose_alignment(ids["silent"])
    assert unknown.value.code == "language-unsupported" and "German" in str(unknown.value)
    assert none.value.code == "no-recording"
    unreadable = tmp_path / "tape.wav"
    unreadable.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(200))
    if alignment.available():
        with pytest.raises(alignment.Unreadable) as broken:
            alignment.propose(unreadable, [{"n": 1, "text": "слово"}], "ru")
        assert broken.value.code == "recording-unreadable" and "tape.wav" in str(broken.value)


def test_an_accepted_proposal_keeps_each_end_after_its_start_and_before_the_next_start(world):
    app, ids, _ = world
    collection, transcripts = app.extensions["collection"], app.extensions["services"].transcripts

    def proposal(*timings):
        return alignment.Proposal([alignment.Timing(n, a, b, False, 0.4) for n, a, b in timings], 12.0, 0.4, 0.04)

    version = collection.read("interviews", ids["silent"], "segments.json").version
    with app.app_context():
        with pytest.raises(TranscriptError) as refused:  # passage 1 would end after passage 2 starts
            transcripts.accept_alignment(ids["silent"], proposal((1, 1.0, 6.0), (2, 5.0, 9.0)), "h", version)
        assert refused.value.field == "time-1"
        assert collection.read("interviews", ids["silent"], "segments.json").version == version
        # a passage squeezed to nothing ends where the next begins, as a stamped one does
        saved = transcripts.accept_alignment(ids["silent"], proposal((1, 1.0, 1.0), (2, 5.0, 9.0)), "h", version)
        assert [(s["start"], s["end"]) for s in saved] == [(1.0, 5.0), (5.0, 9.0)]
        with pytest.raises(ConflictError):  # made from the version before: the transcript has changed since
            transcripts.accept_alignment(ids["silent"], proposal((1, 2.0, 4.0), (2, 5.0, 9.0)), "h", version)


def test_without_the_extra_the_command_says_what_to_install(world, monkeypatch):
    app, ids, _ = world
    for name in ("aeneas.cdtw.cdtw", "aeneas.cew.cew", "aeneas.cmfcc.cmfcc"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it fails, as where it is not installed
    assert not alignment.available()
    result = invoke(app, "align", ids["ru"])
    assert result.exit_code == 1
    assert "pip install -e '.[align]'" in result.output and "espeak-ng" in result.output


def invoke(app, *args):
    from click.testing import CliRunner

    from archive.cli import cli

    return CliRunner().invoke(cli, ["--data", str(app.config["ARCHIVE_DATA"]), *args])
