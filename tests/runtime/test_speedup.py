"""CPU speed-ups (bf16, dynamic int8): each loads and answers on every batchable task's tiny model, says what ran,
is its own cache entry, is written in Reproduce in code, and is measured by bench/accuracy.py."""

import ast
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench import accuracy
from runtime.config import Config, ModelChoice
from runtime.devices import DeviceManager, native_bf16
from runtime.model_info import model_info
from runtime.models import ModelCache
from runtime.runner import Runner
from runtime.snippets import SnippetContext, snippet
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
TEXT = REGISTRY["text-classification"]
SPEEDUPS = ("bf16", "int8")
RAN = {"bf16": "cpu · bfloat16" if native_bf16()[0] else "bf16 is not native on this CPU",
       "int8": "cpu · int8 dynamic"}


def example(task) -> dict:
    """The task's first example by name, files as paths in assets/."""
    return {k: str(ROOT / v) if isinstance(v, str) and (ROOT / v).is_file() else v for k, v in task.examples[0].items()}


def quantized_linears(pipe) -> int:
    return sum(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ for m in pipe.model.modules())


@pytest.mark.parametrize("speedup", SPEEDUPS)
@pytest.mark.parametrize("task", [t for t in REGISTRY.values() if t.batchable], ids=lambda t: t.name)
def test_each_speedup_loads_and_answers_on_every_batchable_task(config, task, speedup):
    runner = Runner(task, dataclasses.replace(config, cpu_speedup=speedup), ModelCache(DeviceManager("cpu")))
    result = runner.run(None, example(task))  # the task's default (first) tiny model, the server's speed-up
    assert result.outputs and result.model.cpu_speedup == speedup
    assert RAN[speedup] in result.status, result.status
    pipe = runner.models.get(task, result.model).pipe
    if speedup == "int8":
        assert quantized_linears(pipe) > 0
    elif native_bf16()[0]:
        assert pipe.model.dtype == torch.bfloat16


def test_the_cache_keeps_float32_and_int8_apart(tiny):
    cache = ModelCache(DeviceManager("cpu"))
    fp32 = cache.get(TEXT, ModelChoice(tiny("text-classification")))
    int8 = cache.get(TEXT, ModelChoice(tiny("text-classification"), cpu_speedup="int8"))
    assert len(cache.loaded()) == 2 and fp32.pipe is not int8.pipe
    assert (str(fp32.placement), str(int8.placement)) == ("cpu · float32", "cpu · int8 dynamic")
    assert quantized_linears(fp32.pipe) == 0 and quantized_linears(int8.pipe) > 0
    assert cache.get(TEXT, ModelChoice(tiny("text-classification"), cpu_speedup="int8")).pipe is int8.pipe


def test_a_models_own_entry_wins_over_the_servers_and_bad_values_are_refused(tmp_path, tiny):
    path = tmp_path / "playground.json"
    path.write_text(json.dumps({"cpu_speedup": "int8", "models": {"text-classification": [
        {"id": tiny("text-classification"), "cpu_speedup": "none"}, {"id": "org/other"}]}}))
    own, server = Config.load(path).choices(TEXT)
    assert (own.cpu_speedup, server.cpu_speedup) == ("none", "int8")
    assert Config.load(path, cpu_speedup="bf16").choices(TEXT)[1].cpu_speedup == "bf16"  # the flag wins over the file
    assert "int8 dynamic" in model_info(server).markdown() or not model_info(server).on_disk
    assert "int8 dynamic" in model_info(ModelChoice(tiny("text-classification"), cpu_speedup="int8")).markdown()
    with pytest.raises(ValueError, match="Unknown cpu_speedup 'int4'.*none, bf16, int8"):
        ModelChoice("m", cpu_speedup="int4")


def test_a_conversion_that_fails_still_answers_in_float32_and_says_why(tiny, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no int8 kernel on this CPU")

    monkeypatch.setattr(torch.ao.quantization, "quantize_dynamic", broken)
    loaded = ModelCache(DeviceManager("cpu")).get(TEXT, ModelChoice(tiny("text-classification"), cpu_speedup="int8"))
    assert str(loaded.placement) == "cpu · float32 (int8 failed (no int8 kernel on this CPU): ran float32)"
    assert loaded.pipe("good")[0]["score"] > 0
    assert "could not be quantized to int8" in caplog.text


def test_bf16_where_the_cpu_lacks_it_runs_float32_and_says_so(monkeypatch):
    import runtime.devices

    monkeypatch.setattr(runtime.devices, "native_bf16", lambda: (False, "AVX2"))
    placement = DeviceManager("cpu").placement(None, "bf16")
    assert placement.dtype == "float32"
    assert str(placement) == "cpu · float32 (bf16 is not native on this CPU (AVX2): ran float32)"


def test_int8_snippet_runs_offline_and_gives_the_apps_answer(config, tiny, tmp_path):
    runner = Runner(TEXT, dataclasses.replace(config, cpu_speedup="int8"), ModelCache(DeviceManager("cpu")))
    result = runner.run(tiny("text-classification"), {"text": "I love this movie", "top_k": 2})
    code = snippet(SnippetContext(TEXT, result.model.id, result.placement.pipeline_kwargs(), result.call))  # as panel
    assert "dtype=torch.float32)\npipe.model = torch.ao.quantization.quantize_dynamic(pipe.model, {torch.nn.Linear}, " \
           "dtype=torch.qint8)" in code
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert {r["label"]: r["score"] for r in printed} == pytest.approx({r["label"]: r["score"] for r in result.raw},
                                                                      abs=1e-5)


@pytest.mark.skipif(not native_bf16()[0], reason="bf16 runs only where the CPU has it natively")
def test_bf16_snippet_loads_in_bfloat16(config, tiny):
    runner = Runner(TEXT, dataclasses.replace(config, cpu_speedup="bf16"), ModelCache(DeviceManager("cpu")))
    result = runner.run(tiny("text-classification"), {"text": "I love this movie"})
    code = snippet(SnippetContext(TEXT, result.model.id, result.placement.pipeline_kwargs(), result.call))
    assert "device='cpu', dtype=torch.bfloat16)" in code and "quantize_dynamic" not in code


def test_accuracy_command_passes_on_a_real_agreement(tiny, capsys):
    assert accuracy.main(["--model", tiny("text-classification"), "--task", "text-classification",
                          "--speedup", "int8"]) == 0
    printed = capsys.readouterr().out
    assert "top1_agreement=1.000" in printed and "PASS" in printed and 'ran="cpu · int8 dynamic"' in printed


def test_accuracy_command_flags_a_forced_disagreement(tiny, monkeypatch, capsys):
    """The int8 model's classifier head is turned around before quantizing: every top label flips."""
    import runtime.models

    quantize = runtime.models.quantize_int8

    def corrupted(pipe):
        head = [m for m in pipe.model.modules() if isinstance(m, torch.nn.Linear)][-1]
        with torch.no_grad():
            head.weight.neg_()
            head.bias.neg_()
        quantize(pipe)

    monkeypatch.setattr(runtime.models, "quantize_int8", corrupted)
    assert accuracy.main(["--model", tiny("text-classification"), "--task", "text-classification",
                          "--speedup", "int8"]) == 1
    assert "FAIL: agreement 0.000 < 0.99" in capsys.readouterr().out


def test_accuracy_compares_embeddings_by_cosine_and_texts_by_identity():
    same, turned = [[[1.0, 2.0], [3.0, 4.0]]], [[[-1.0, -2.0], [-3.0, -4.0]]]
    assert accuracy.compare(same, same).line().startswith("family=embedding cosine>=0.99=1.000 (1/1)")
    assert accuracy.compare(same, turned).fraction == 0.0
    found = accuracy.compare([{"text": "hello"}, {"text": "world"}], [{"text": "hello"}, {"text": "word"}])
    assert (found.family, found.fraction) == ("text", 0.5)
    sentences = accuracy.varied_sentences()
    assert min(map(len, map(str.split, sentences))) >= 5 and max(map(len, map(str.split, sentences))) <= 60
