import threading
import time

import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import causal_lm
from tasks.text_generation import TASK, conversation, prepare, present

GREEDY = dict(do_sample=False, temperature=0.7, top_k=50, top_p=0.95, repetition_penalty=1.0, seed=-1)
TINY = (TinyModel("tiny-gpt2-chat", causal_lm),
        TinyModel("tiny-gpt2-plain", lambda folder: causal_lm(folder, chat=False)))


def workers():
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def test_prepare_sampling_params_and_history():
    history = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "hello"}]
    call = prepare(message=" go on ", system="Be brief.", max_new_tokens=64, do_sample=True, temperature=0.5, top_k=10,
                   top_p=0.9, repetition_penalty=1.2, seed=7, history=history, limits=None)
    assert call.inputs == {"message": "go on", "system": "Be brief.",
                           "history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert call.kwargs == {"max_new_tokens": 64, "do_sample": True, "repetition_penalty": 1.2, "temperature": 0.5,
                           "top_k": 10, "top_p": 0.9, "seed": 7}
    assert "temperature" not in prepare("x", "", 8, **GREEDY).kwargs  # greedy: sampling settings left out
    with pytest.raises(UserError, match="Type a message"):
        prepare("  ", "", 8, **GREEDY)


def test_conversation_reads_gradio_content_blocks():
    assert conversation([{"role": "user", "content": {"type": "text", "text": "a"}}, {"role": "tool", "content": "x"}]) == [
        {"role": "user", "content": "a"}]


def test_present_appends_the_turn_in_chat_mode_and_shows_the_whole_text_otherwise():
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    shown = present({"mode": "chat", "reply": "fine"}, message="how are you?", system="", history=history, **GREEDY)
    chat = shown["history"]
    assert chat[-2:] == [{"role": "user", "content": "how are you?"}, {"role": "assistant", "content": "fine"}] and len(chat) == 4
    shown = present({"mode": "completion", "reply": " there"}, message="Once", system="", history=history, **GREEDY)
    assert shown["history"] == [{"role": "user", "content": "Once"}, {"role": "assistant", "content": "Once there"}]
    assert "no chat template" in shown["mode"]


@pytest.mark.parametrize("model, mode", [("tiny-gpt2-chat", "chat"), ("tiny-gpt2-plain", "completion")])
def test_streams_chunk_by_chunk_before_generation_ends(client, tiny, named, model, mode):
    job = client.submit(model=tiny("text-generation", model), message="hello world", system="You are brief.",
                        max_new_tokens=200, **GREEDY, api_name="/text_generation")
    outputs = [named("text-generation", out) for out in job]
    replies = [out["raw"]["reply"] for out in outputs]
    chat, raw, status = outputs[-1]["history"], outputs[-1]["raw"], outputs[-1]["status"]
    texts = list(dict.fromkeys(reply for reply in replies if reply))  # heartbeats repeat the text so far
    assert replies[0] == ""  # an empty answer first (so Stop works at once), then the text as it grows
    assert len(texts) >= 2 and len(texts[0]) < len(texts[-1])  # the first text came before generation ended
    assert all(later.startswith(earlier) for earlier, later in zip(replies, replies[1:]))  # growing, in order
    assert raw["mode"] == mode and chat[-1]["role"] == "assistant"
    assert conversation(chat)[-1]["content"].endswith(replies[-1].strip()) and model in status


def test_chat_history_is_kept_and_same_seed_same_answer(predict, tiny):
    model = tiny("text-generation", "tiny-gpt2-chat")
    sampled = dict(do_sample=True, temperature=1.0, top_k=50, top_p=0.95, repetition_penalty=1.0, seed=123)
    first = predict("text-generation", model=model, message="hello", system="", max_new_tokens=12, **sampled)
    again = predict("text-generation", model=model, message="hello", system="", max_new_tokens=12, **sampled)
    assert first["raw"]["reply"] == again["raw"]["reply"]
    second = predict("text-generation", model=model, message="and then?", system="", max_new_tokens=12, **sampled,
                     history=first["history"])["history"]
    assert [turn["role"] for turn in second] == ["user", "assistant", "user", "assistant"]
    assert conversation(second)[2]["content"] == "and then?"


def test_cancel_through_the_api_stops_generation(client, predict, tiny, models, config):
    model = tiny("text-generation", "tiny-gpt2-chat")
    pipe = models.get(TASK, config.resolve(TASK, model)).pipe
    steps = []
    hook = pipe.model.register_forward_hook(lambda *_: steps.append(1))  # counts generated tokens
    try:
        job = client.submit(model=model, message="hello", system="", max_new_tokens=1024, **GREEDY,
                            api_name="/text_generation")
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
    chat = predict("text-generation", model=model, message="hello", system="", max_new_tokens=5, **GREEDY)["history"]
    assert chat[-1]["role"] == "assistant"  # the next request works


def test_the_first_text_is_shown_at_once_then_updates_are_throttled(tiny, models, config, monkeypatch):
    """The first token goes to the reader as soon as it decodes (first-token time is what a visitor feels);
    later ones at most every UPDATE_SECONDS. With a throttle of an hour: the empty start, the first text, the end."""
    import tasks.text_generation as text_generation

    monkeypatch.setattr(text_generation, "UPDATE_SECONDS", 3600)
    pipe = models.get(TASK, config.resolve(TASK, tiny("text-generation", "tiny-gpt2-plain"))).pipe
    replies = [r["reply"] for r in text_generation.run(pipe, prepare("hello world", "", 24, **GREEDY))]
    assert len(replies) == 3 and replies[0] == "" and replies[1] and len(replies[1]) < len(replies[2])
    assert replies[2].startswith(replies[1])


def test_same_seed_same_answer_while_other_generations_run(tiny, models, config):
    """Six generations at once, three of them with seed 123: those three give the text a lone run with 123 gives.
    (With torch's one global generator, set_seed in one request was undone by the others drawing meanwhile.)"""
    from concurrent.futures import ThreadPoolExecutor

    from runtime.runner import Runner

    runner = Runner(TASK, config, models)
    model = tiny("text-generation", "tiny-gpt2-plain")

    def reply(seed):
        values = dict(message="hello world", system="", max_new_tokens=48, do_sample=True, temperature=1.0, top_k=0,
                      top_p=1.0, repetition_penalty=1.0, seed=seed)
        return runner.run(model, values).raw["reply"]

    alone = reply(123)
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(reply, [123, 7, 123, 99, 123, -1]))
    assert replies[0] == replies[2] == replies[4] == alone
    assert replies[1] != alone  # another seed, another text


def test_sampling_settings_draw_from_the_calls_own_generator():
    import torch

    from runtime.sampling import GumbelNoise, own_generator

    greedy = own_generator({"max_new_tokens": 5, "do_sample": False, "temperature": 0.7, "top_k": 5}, seed=1)
    assert greedy == {"max_new_tokens": 5, "do_sample": False}
    sampled = own_generator({"do_sample": True, "temperature": 0.5, "top_k": 10, "top_p": 0.9}, seed=1)
    assert sampled["do_sample"] is False  # generate() takes the argmax of the noisy scores
    kinds = [type(p).__name__ for p in sampled["logits_processor"]]
    assert kinds == ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "GumbelNoise"]
    scores = torch.log(torch.tensor([[0.7, 0.2, 0.1]]))
    picks = [int(GumbelNoise(seed)(None, scores).argmax()) for seed in range(3000)]
    shares = [picks.count(i) / len(picks) for i in range(3)]
    assert [round(s, 1) for s in shares] == [0.7, 0.2, 0.1]  # argmax of scores + Gumbel noise samples softmax
    assert GumbelNoise(5)(None, scores).tolist() == GumbelNoise(5)(None, scores).tolist()  # same seed, same draw
