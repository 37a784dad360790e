"""The lean JSON API (web/api.py): POST /api/<task> runs the tab's own runner, values by name, and answers the raw
result."""

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


ROOT = Path(__file__).resolve().parent.parent


def post(client, api: str, body, timeout: float = 60) -> tuple[int, dict]:
    reply = httpx.post(f"{client.src.rstrip('/')}/api/{api}", json=body, timeout=timeout)
    return reply.status_code, reply.json()


def data_url(path: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode()


def test_the_raw_result_is_the_one_gradios_api_gives(client, predict, tiny):
    values = {"model": tiny("text-classification"), "text": "I love this film", "top_k": 2, "scores": "softmax"}
    status, reply = post(client, "text_classification", values)
    raw = predict("text-classification", **values)["raw"]
    assert status == 200 and reply["result"] == raw and len(raw) == 2
    assert "tiny-bert-sentiment" in reply["status"] and "inference" in reply["status"]


def test_values_left_out_take_the_tabs_defaults_and_no_model_is_the_first(client, predict, config):
    status, short = post(client, "text_classification", {"text": "a short text"})
    raw = predict("text-classification", model=config.models["text-classification"][0].id, text="a short text",
                  top_k=5, scores="default")["raw"]
    assert status == 200 and short["result"] == raw
    assert post(client, "text_classification", {"model": None, "text": "a short text"})[1]["result"] == raw


def test_bad_input_is_a_sentence_and_the_next_request_works(client, tiny):
    model = tiny("text-classification")
    answers = [
        post(client, "text_classification", {"model": model, "text": "   "}),
        post(client, "text_classification", {"model": model, "text": "x", "top_k": 1, "scores": "bogus"}),
        post(client, "text_classification", {"model": model, "text": "x", "colour": "blue"}),
        post(client, "text_classification", {"data": [model, "x"]}),  # the positional form is gone: said so
        post(client, "text_classification", ["x"]),
        post(client, "no_such_task", {}),
    ]
    assert [status for status, _ in answers] == [400, 400, 400, 400, 400, 404]
    assert "Type some text" in answers[0][1]["error"] and "'bogus' is not one of the choices" in answers[1][1]["error"]
    assert "no value named 'colour'" in answers[2][1]["error"] and "text, top_k, scores" in answers[2][1]["error"]
    assert "no value named 'data'" in answers[3][1]["error"]
    assert "text_classification" in answers[5][1]["error"]  # the valid names are listed
    assert all(reply["error"].endswith(".") and "Traceback" not in reply["error"] for _, reply in answers)
    assert post(client, "text_classification", {"model": model, "text": "fine again"})[0] == 200


def test_an_unlisted_model_is_refused_with_the_listed_names_not_server_paths(client, config):
    status, reply = post(client, "text_classification", {"model": "someone/any-model", "text": "hello"})
    listed = config.models["text-classification"]
    assert status == 400 and "only offers the listed models" in reply["error"], reply
    assert all(choice.label in reply["error"] for choice in listed), reply  # what the picker shows
    assert not any(str(Path(choice.id).parent) in reply["error"] for choice in listed), reply  # no server folder


def test_an_image_comes_as_a_data_url_and_a_path_or_url_is_refused(client, served, tiny, asset):
    model = tiny("image-classification")
    status, reply = post(client, "image_classification",
                         {"model": model, "image": data_url(asset("chelsea.jpg"), "image/jpeg"), "top_k": 3})
    assert status == 200 and len(reply["result"]) == 3 and {"label", "score"} <= set(reply["result"][0])
    secret = str(ROOT / "assets" / "chelsea.jpg")  # a file on the server: never read on a caller's word
    for value in (secret, {"path": secret, "meta": {"_type": "gradio.FileData"}}, "http://127.0.0.1:9/cat.jpg",
                  "data:image/jpeg;base64,not base64!"):
        status, reply = post(client, "image_classification", {"model": model, "image": value, "top_k": 3})
        assert status == 400 and ("data URL" in reply["error"] or "base64" in reply["error"]), reply
    status, reply = post(client, "image_classification",
                         {"model": model, "image": "data:text/plain;base64,aGVsbG8=", "top_k": 3})
    assert status == 400 and "not an image" in reply["error"]  # the tab's own wording for a non-image
    status, reply = post(client, "text_classification", {"text": {"text": "x", "path": secret}})
    assert status == 400 and "cannot take files" in reply["error"]
    assert not any(served[0].lean_api._files.iterdir())  # the files written for requests are gone once answered


def test_audio_comes_as_a_data_url_too(client, tiny, asset):
    status, reply = post(client, "automatic_speech_recognition",
                         {"model": tiny("automatic-speech-recognition"),
                          "audio": data_url(asset("speech_short.wav"), "audio/wav")})
    assert status == 200 and isinstance(reply["result"]["text"], str)


def test_a_streaming_task_answers_its_whole_text(client, predict, tiny):
    values = {"model": tiny("text-generation", "tiny-gpt2-plain"), "message": "hello world", "system": "",
              "max_new_tokens": 12, "do_sample": False}
    status, reply = post(client, "text_generation", values)
    raw = predict("text-generation", **values)["raw"]
    assert status == 200 and reply["result"]["reply"] and reply["result"] == raw


def test_a_chat_takes_its_history_by_name(client, tiny):
    values = {"model": tiny("text-generation", "tiny-gpt2-chat"), "message": "and then?", "max_new_tokens": 4,
              "do_sample": False, "history": [{"role": "user", "content": [{"type": "text", "text": "hi"}]},  # as gradio
                                               {"role": "assistant", "content": [{"type": "text", "text": "yo"}]}]}
    status, reply = post(client, "text_generation", values)
    assert status == 200 and reply["result"]["mode"] == "chat"


def test_concurrent_callers_each_get_their_own_result_batched(client, tiny, config, models):
    """32 callers at once, each with its own text: batched together, and each answer is that text's own."""
    from runtime.runner import jsonable
    from tasks import REGISTRY

    task = REGISTRY["text-classification"]
    model = tiny(task.name)
    texts = [f"caller {i}: " + "good " * (i % 7) + "bad " * (i % 3) for i in range(32)]
    pipe = models.get(task, config.resolve(task, model)).pipe
    alone = [jsonable(pipe(t, top_k=2, truncation=True)) for t in texts]
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda t: post(client, "text_classification", {"model": model, "text": t, "top_k": 2}),
                                texts))
    assert all(status == 200 for status, _ in answers)
    for (_, reply), want in zip(answers, alone):
        assert [r["label"] for r in reply["result"]] == [r["label"] for r in want]
        assert all(abs(a["score"] - b["score"]) < 1e-4 for a, b in zip(reply["result"], want))


def served_inputs(task: str) -> list[str]:
    import gradio as gr

    from tasks import REGISTRY

    with gr.Blocks():
        return list(REGISTRY[task].inputs())


def test_several_files_come_as_a_list_of_data_urls(client, tiny, asset):
    model = tiny("image-feature-extraction")
    images = [data_url(asset("chelsea.jpg"), "image/jpeg")] * 2
    (name,) = served_inputs("image-feature-extraction")
    status, reply = post(client, "image_feature_extraction", {"model": model, name: images})
    assert status == 200, reply
    status, reply = post(client, "image_feature_extraction", {"model": model, name: images[0]})
    assert status == 400 and "list of data URLs" in reply["error"]
