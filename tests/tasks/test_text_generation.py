import threading
import time

import pytest

from runtime.errors import UserError
from tasks.text_generation import TASK, conversation, prepare, present

GREEDY = (False, 0.7, 50, 0.95, 1.0, -1)  # do_sample, temperature, top_k, top_p, repetition_penalty, seed


def workers():
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def test_prepare_sampling_params_and_history():
    history = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "hello"}]
    call = prepare(" go on ", "Be brief.", 64, True, 0.5, 10, 0.9, 1.2, 7, history, "")
    assert call.inputs == {"message": "go on", "system": "Be brief.",
                           "history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert call.kwargs == {"max_new_tokens": 64, "do_sample": True, "repetition_penalty": 1.2, "temperature": 0.5,
                           "top_k": 10, "top_p": 0.9, "seed": 7}
    assert "temperature" not in prepare("x", "", 8, *GREEDY).kwargs  # greedy: sampling settings left out
    with pytest.raises(UserError, match="Type a message"):
        prepare("  ", "", 8, *GREEDY)


def test_conversation_reads_gradio_content_blocks():
    assert conversation([{"role": "user", "content": {"type": "text", "text": "a"}}, {"role": "tool", "content": "x"}]) == [
        {"role": "user", "content": "a"}]


def test_present_appends_the_turn_in_chat_mode_and_shows_the_whole_text_otherwise():
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    chat, mode = present({"mode": "chat", "reply": "fine"}, "how are you?", "", 8, *GREEDY, history, "")
    assert chat[-2:] == [{"role": "user", "content": "how are you?"}, {"role": "assistant", "content": "fine"}] and len(chat) == 4
    chat, mode = present({"mode": "completion", "reply": " there"}, "Once", "", 8, *GREEDY, history, "")
    assert chat == [{"role": "user", "content": "Once"}, {"role": "assistant", "content": "Once there"}] and "no chat template" in mode


@pytest.mark.parametrize("model, mode", [("tiny-gpt2-chat", "chat"), ("tiny-gpt2-plain", "completion")])
def test_streams_chunk_by_chunk_before_generation_ends(client, tiny, model, mode):
    job = client.submit(tiny("text-generation", model), "hello world", "You are brief.", 200, *GREEDY, [], "",
                        api_name="/text_generation")
    outputs = list(job)
    replies = [raw["reply"] for _, _, raw, _ in outputs]
    chat, note, raw, status = outputs[-1]
    texts = list(dict.fromkeys(reply for reply in replies if reply))  # heartbeats repeat the text so far
    assert replies[0] == ""  # an empty answer first (so Stop works at once), then the text as it grows
    assert len(texts) >= 2 and len(texts[0]) < len(texts[-1])  # the first text came before generation ended
    assert all(later.startswith(earlier) for earlier, later in zip(replies, replies[1:]))  # growing, in order
    assert raw["mode"] == mode and chat[-1]["role"] == "assistant"
    assert conversation(chat)[-1]["content"].endswith(replies[-1].strip()) and model in status


def test_chat_history_is_kept_and_same_seed_same_answer(client, tiny):
    model = tiny("text-generation", "tiny-gpt2-chat")
    sampled = (True, 1.0, 50, 0.95, 1.0, 123)
    first, _, raw1, _ = client.predict(model, "hello", "", 12, *sampled, [], "", api_name="/text_generation")
    again, _, raw2, _ = client.predict(model, "hello", "", 12, *sampled, [], "", api_name="/text_generation")
    assert raw1["reply"] == raw2["reply"]
    second, _, _, _ = client.predict(model, "and then?", "", 12, *sampled, first, "", api_name="/text_generation")
    assert [turn["role"] for turn in second] == ["user", "assistant", "user", "assistant"]
    assert conversation(second)[2]["content"] == "and then?"


def test_cancel_through_the_api_stops_generation(client, tiny, models, config):
    model = tiny("text-generation", "tiny-gpt2-chat")
    pipe = models.get(TASK, config.resolve(TASK, model)).pipe
    steps = []
    hook = pipe.model.register_forward_hook(lambda *_: steps.append(1))  # counts generated tokens
    try:
        job = client.submit(model, "hello", "", 1024, *GREEDY, [], "", api_name="/text_generation")
        deadline = time.monotonic() + 30
        while not (workers() and len(steps) > 5) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert workers(), "generation never started"
        job.cancel()
        deadline = time.monotonic() + 5  # generous: the stopping criterion fires within one token
        while workers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not workers()
        produced = len(steps)
        time.sleep(0.3)
        assert len(steps) == produced < 1024  # stopped early, and nothing more is generated
    finally:
        hook.remove()
    chat, _, raw, _ = client.predict(model, "hello", "", 5, *GREEDY, [], "", api_name="/text_generation")
    assert chat[-1]["role"] == "assistant"  # the next request works


def test_the_first_text_is_shown_at_once_then_updates_are_throttled(tiny, models, config, monkeypatch):
    """The first token goes to the reader as soon as it decodes (first-token time is what a visitor feels);
    later ones at most every UPDATE_SECONDS. With a throttle of an hour: the empty start, the first text, the end."""
    import tasks.text_generation as text_generation

    monkeypatch.setattr(text_generation, "UPDATE_SECONDS", 3600)
    pipe = models.get(TASK, config.resolve(TASK, tiny("text-generation", "tiny-gpt2-plain"))).pipe
    replies = [r["reply"] for r in text_generation.run(pipe, prepare("hello world", "", 24, *GREEDY))]
    assert len(replies) == 3 and replies[0] == "" and replies[1] and len(replies[1]) < len(replies[2])
    assert replies[2].startswith(replies[1])
