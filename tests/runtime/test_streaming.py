import threading
import time

import pytest

from runtime.streaming import stream_text
from runtime.tiny import causal_lm

LONG = {"max_new_tokens": 3000, "min_new_tokens": 3000, "do_sample": False}  # far longer than any test waits


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    from transformers import pipeline

    import torch

    torch.manual_seed(0)  # the same weights whichever tests ran before
    folder = tmp_path_factory.mktemp("gpt2")
    causal_lm(folder)
    return pipeline("text-generation", model=str(folder), device="cpu")


def workers():
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def test_text_grows_chunk_by_chunk_and_matches_the_plain_call(generator):
    kwargs = {"max_new_tokens": 12, "min_new_tokens": 12, "do_sample": False}
    chunks = list(stream_text(generator, "hello world", kwargs))
    assert len(chunks) >= 2
    assert all(later.startswith(earlier) for earlier, later in zip(chunks, chunks[1:]))
    plain = generator("hello world", **kwargs, return_full_text=False)[0]["generated_text"]
    assert chunks[-1].strip() == plain.strip()
    assert not workers()


def test_a_text_ending_in_half_a_character_still_streams_all_of_it():
    import torch

    from runtime.streaming import TokenStreamer
    from runtime.tiny import bpe_tokenizer

    tokenizer = bpe_tokenizer()
    ids = tokenizer.encode("hi 🙂", add_special_tokens=False)  # the emoji is four byte tokens
    streamer = TokenStreamer(tokenizer)
    streamer.put(torch.tensor([[0]]))  # the prompt
    for token in ids[:-1]:  # generation stops one byte short of the emoji
        streamer.put(torch.tensor([token]))
    streamer.end()
    pieces = []
    while (piece := streamer.pieces.get_nowait()) is not None:
        pieces.append(piece)
    assert "".join(pieces) == tokenizer.decode(ids[:-1]) == "hi \ufffd"  # what the plain call returns
    assert not any("\ufffd" in piece for piece in pieces[:-1])  # half a character shows only at the very end


def test_closing_the_stream_stops_generation(generator):
    stream = stream_text(generator, "hello", LONG)
    first = [next(stream), next(stream)]
    assert workers()
    stream.close()  # what gradio does on Stop
    assert not workers()  # close() joined the worker: it stopped within one token
    assert len(first[1]) < 3000


def test_abandoned_stream_stops_by_itself(generator):
    stream = stream_text(generator, "hello", LONG, idle_seconds=0.5)
    next(stream)
    deadline = time.monotonic() + 10  # generous: the criterion fires 0.5 s after the last read
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers()
    del stream


def test_error_in_generation_reaches_the_reader(generator):
    with pytest.raises(Exception):
        list(stream_text(generator, "hello", {"max_new_tokens": 5, "num_beams": -1}))
    assert not workers()
