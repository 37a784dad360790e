"""Real answers from real checkpoints, through the served app: what tiny random models cannot show."""

import shutil
import subprocess

import numpy as np
import pytest
from gradio_client import handle_file

from bench.accuracy import word_error_rate, words

pytestmark = pytest.mark.real
ASR = "automatic-speech-recognition"
SPEECH = "The weather today is sunny and warm. We will go to the park this afternoon."


def transcribe(real_predict, path: str) -> dict:
    return real_predict(ASR, audio=handle_file(path), timestamps="words", chunk_length_s=30, stride_s=5,
                        language="", whisper_task="transcribe")


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> dict[str, str]:
    """SPEECH spoken by espeak-ng, as WAV and as MP3 and M4A (AAC) made from it by ffmpeg: {extension: path}."""
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (.ci/apt-test.txt, packages.txt)")
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(wav), SPEECH], check=True)
    files = {"wav": str(wav)}
    for ext, codec in (("mp3", "libmp3lame"), ("m4a", "aac")):
        files[ext] = str(folder / f"speech.{ext}")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", codec, "-b:a", "64k",
                        files[ext]], check=True)
    return files


@pytest.fixture(scope="module")
def heard(real_predict, speech) -> dict[str, dict]:
    """Each format of the synthesized sentence, transcribed by Whisper tiny.en with word timestamps."""
    return {ext: transcribe(real_predict, path) for ext, path in speech.items()}


def test_minilm_ranks_each_paraphrase_above_unrelated_sentences(real_predict):
    sentences = ["A man is playing a guitar.", "The stock market fell sharply today.",
                 "Someone is strumming a guitar.", "Share prices dropped steeply this morning."]
    out = real_predict("feature-extraction", text="\n".join(sentences))
    similarity = np.array([row[1:] for row in out["similarity"]["data"]], dtype=float)
    np.fill_diagonal(similarity, -1)
    assert similarity.argmax(axis=1).tolist() == [2, 3, 0, 1], similarity  # each one's nearest is its paraphrase
    assert similarity[0, 2] > 0.5 and similarity[1, 3] > 0.5, similarity
    assert similarity[0, 1] < 0.25 and similarity[2, 3] < 0.25, similarity
    assert "embedding size **384**" in out["info"] and "all-MiniLM-L6-v2" in out["status"]


def test_english_only_whisper_transcribes_speech_with_word_timestamps(heard, speech):
    import soundfile as sf

    out = heard["wav"]
    assert word_error_rate(SPEECH, out["transcript"]) <= 0.1, out["transcript"]
    assert "whisper-tiny.en" in out["status"]
    rows = out["table"]["data"]
    assert [w for row in rows for w in words(row[2])] == words(out["transcript"])  # one row a word, all of them
    seconds = sf.info(speech["wav"]).duration
    starts, ends = [row[0] for row in rows], [row[1] for row in rows]
    assert starts == sorted(starts) and all(s <= e for s, e in zip(starts, ends)), rows
    assert starts[0] < 0.5 and seconds - 1.0 < ends[-1] <= seconds + 0.01, (rows, seconds)  # spans the speech


@pytest.mark.parametrize("ext", ["mp3", "m4a"])
def test_compressed_audio_gives_the_same_words_as_wav(heard, ext):
    assert words(heard[ext]["transcript"]) == words(heard["wav"]["transcript"])
    assert len(heard[ext]["table"]["data"]) == len(heard["wav"]["table"]["data"])


PHRASE = "The weather today is sunny and warm."


def test_long_audio_keeps_every_phrase_once_at_its_time(real_predict, tmp_path):
    """A minute of one sentence said 15 times with pauses of 1.5-2.5 s, cut at pauses (the default): every occurrence
    is transcribed once (none lost at a seam, none twice), each starting within 0.5 s of when it is said."""
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (.ci/apt-test.txt)")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(tmp_path / "one.wav"), PHRASE], check=True)
    said, rate = sf.read(tmp_path / "one.wav", dtype="float32")
    loud = np.flatnonzero(np.abs(said) > 0.02)
    said = said[loud[0]: loud[-1] + 1]  # the words alone
    rng, parts, onsets, at = np.random.default_rng(0), [], [], 0.0
    for _ in range(15):
        pause = rng.uniform(1.5, 2.5)
        parts += [np.zeros(int(pause * rate), np.float32), said]
        onsets.append(at + pause)
        at += pause + said.size / rate
    sf.write(tmp_path / "long.wav", np.concatenate([*parts, np.zeros(rate, np.float32)]), rate)
    out = real_predict(ASR, audio=handle_file(str(tmp_path / "long.wav")), timestamps="words", chunk_length_s=30,
                       long_audio="pauses", stride_s=5, language="", whisper_task="transcribe")
    heard = " ".join(words(out["transcript"]))
    assert heard.count("sunny and warm") == 15 and heard.count("weather today") == 15, out["transcript"]
    starts = [row[0] for row in out["table"]["data"] if words(row[2])[:1] == ["weather"]]
    assert len(starts) == 15, out["table"]["data"]
    sf.write(tmp_path / "once.wav", np.concatenate([np.zeros(rate, np.float32), said]), rate)  # said 1 s in
    once = real_predict(ASR, audio=handle_file(str(tmp_path / "once.wav")), timestamps="words", chunk_length_s=30,
                        long_audio="pauses", stride_s=5, language="", whisper_task="transcribe")
    into = next(row[0] for row in once["table"]["data"] if words(row[2])[:1] == ["weather"]) - 1.0  # into the phrase
    assert all(abs(start - (onset + into)) <= 0.5 for start, onset in zip(starts, onsets)), (starts, onsets, into)
