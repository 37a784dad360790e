"""Smoke test of the `transformers serve` fixtures: a real OpenAI-compatible server answers InferenceClient."""

from pathlib import Path

import httpx
from huggingface_hub import InferenceClient

SPEECH = Path(__file__).resolve().parents[2] / "assets" / "speech_short.wav"


def test_chat_completion_streams_chunk_by_chunk(chat_server, chat_url):
    client = InferenceClient(base_url=chat_url)  # keep a reference while streaming: its exit stack holds the response
    chunks = list(client.chat_completion(messages=[{"role": "user", "content": "hello world"}], model=chat_server.model,
                                         stream=True, max_tokens=24, seed=1))
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) > 1 and "".join(texts).strip(), f"no streamed text in {chunks}"
    assert chunks[-1].choices[0].finish_reason == "length" and chunks[-1].usage.completion_tokens == 24
    client.close()


def test_transcription_endpoint_takes_an_openai_style_upload(whisper_server, whisper_url):
    with httpx.Client(trust_env=False, timeout=60) as http:  # multipart, as the openai client sends it
        answer = http.post(f"{whisper_url}/audio/transcriptions", data={"model": whisper_server.model},
                           files={"file": (SPEECH.name, SPEECH.read_bytes(), "audio/wav")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"], answer.json()
