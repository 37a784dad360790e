"""Streams a generating pipeline's text as it grows, and really stops generation when the reader goes away."""

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any


def stream_text(pipe, inputs: Any, kwargs: dict, *, tokenizer=None, idle_seconds: float = 20.0) -> Iterator[str]:
    """Yields the generated text so far, token by token; closing the iterator (Stop, a closed tab) ends generation.

    While no new text comes (a long prompt, tokens that decode to nothing yet) the same text is yielded again
    every 0.2 s, so the reader regains control and can close the stream at any moment.

    Generation runs in a worker thread fed into a TextIteratorStreamer. A stopping criterion ends it within one
    token once the iterator is closed, or once nobody has read from it for idle_seconds (an abandoned request).
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    tokenizer = tokenizer or getattr(pipe, "tokenizer", None) or pipe.processor.tokenizer
    streamer = TokenStreamer(tokenizer)
    stop = threading.Event()
    last_read = [time.monotonic()]

    class StopWhenAbandoned(StoppingCriteria):
        def __call__(self, input_ids, scores, **_):
            done = stop.is_set() or time.monotonic() - last_read[0] > idle_seconds
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    outcome: dict = {}

    def generate():
        try:
            outcome["result"] = pipe(
                inputs, **kwargs, streamer=streamer, stopping_criteria=StoppingCriteriaList([StopWhenAbandoned()])
            )
        except BaseException as error:  # handed to the reader below
            outcome["error"] = error
        finally:
            streamer.end()  # wakes the reader even when generation failed

    worker = threading.Thread(target=generate, name="stream-generate", daemon=True)
    worker.start()
    text = ""
    try:
        while True:
            last_read[0] = time.monotonic()
            try:
                piece = streamer.pieces.get(timeout=0.2)
            except queue.Empty:
                if not worker.is_alive():
                    break
                yield text  # a heartbeat while no text comes: the reader gets control back and can close the stream
                continue
            if piece is None:
                break
            text += piece
            yield text
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
    finally:
        stop.set()
        worker.join(timeout=10)


class TokenStreamer:
    """Receives token ids from generate() and queues each new piece of text as soon as it decodes cleanly.

    Unlike transformers' TextIteratorStreamer, it does not wait for a space: every token shows. Decoding keeps a
    small window (as text-generation-inference does), so each token costs the same however long the text.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.pieces: queue.Queue = queue.Queue()
        self.tokens: list[int] = []
        self.prompt_seen = False
        self.prefix = self.read = 0  # tokens[prefix:read] decode to text already queued

    def put(self, value) -> None:
        if not self.prompt_seen:  # generate() first hands over the prompt
            self.prompt_seen = True
            return
        self.tokens.extend(value.reshape(-1).tolist())
        self._queue_new_text(final=False)

    def end(self) -> None:
        """Queues what is left (even half a character, as the plain call returns it), then the end marker."""
        self._queue_new_text(final=True)
        self.pieces.put(None)

    def _queue_new_text(self, final: bool) -> None:
        decode = lambda ids: self.tokenizer.decode(ids, skip_special_tokens=True)  # noqa: E731
        before = decode(self.tokens[self.prefix : self.read])
        after = decode(self.tokens[self.prefix :])
        if len(after) > len(before) and (final or not after.endswith("\ufffd")):  # not half of a character yet
            self.pieces.put(after[len(before) :])
            self.prefix, self.read = self.read, len(self.tokens)
