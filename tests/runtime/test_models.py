import shutil
import threading
import time
from dataclasses import replace

import pytest

from runtime.config import ModelChoice
from runtime.devices import DeviceManager
from runtime.errors import ModelLoadError, UserError
from runtime.models import ModelCache, estimate_bytes, load_pipeline
from tasks import REGISTRY

TEXT = REGISTRY["text-classification"]


def counting(task):
    """The task with its real loader wrapped to count loads."""
    loads = []

    def load(*args):
        loads.append(args[1].id)
        return load_pipeline(*args)

    return replace(task, load=load), loads


def test_concurrent_first_requests_load_once(tiny):
    task, loads = counting(TEXT)
    cache = ModelCache(DeviceManager("cpu"))
    choice = ModelChoice(tiny("text-classification"))
    results, barrier = [], threading.Barrier(8)

    def request():
        barrier.wait()
        results.append(cache.get(task, choice))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [choice.id]
    assert len({id(r.pipe) for r in results}) == 1
    assert sum(r.load_seconds > 0 for r in results) == 1  # the others were served from the cache
    assert results[0].pipe("good")[0]["label"] in ("POSITIVE", "NEGATIVE")


def test_eviction_keeps_resident_size_under_budget(tiny, tmp_path):
    source = tiny("text-classification")
    copies = [shutil.copytree(source, tmp_path / f"copy{i}") for i in range(4)]
    one = estimate_bytes(ModelChoice(str(copies[0])))
    cache = ModelCache(DeviceManager("cpu"), budget_bytes=int(2.5 * one))
    for folder in copies:
        cache.get(TEXT, ModelChoice(str(folder)))
        assert cache.resident_bytes() <= cache.budget
    assert [key[1] for key in cache.loaded()] == [str(copies[2]), str(copies[3])]  # the two most recent


def test_least_recently_used_goes_first(tiny, tmp_path):
    a, b, c = (ModelChoice(str(shutil.copytree(tiny("text-classification"), tmp_path / n))) for n in "abc")
    cache = ModelCache(DeviceManager("cpu"), budget_bytes=int(2.5 * estimate_bytes(a)))
    cache.get(TEXT, a)
    cache.get(TEXT, b)
    cache.get(TEXT, a)  # a is now the most recent
    cache.get(TEXT, c)
    assert [key[1] for key in cache.loaded()] == [a.id, c.id]


def test_missing_model_offline_fails_at_once_and_next_request_works(tiny):
    cache = ModelCache(DeviceManager("cpu"))
    start = time.perf_counter()
    with pytest.raises(ModelLoadError, match=r"'no-such-org/no-such-model' is not downloaded.*offline"):
        cache.get(TEXT, ModelChoice("no-such-org/no-such-model"))
    assert time.perf_counter() - start < 10  # a generous bound: Hub retries would take ~30 s
    assert cache.loaded() == []  # nothing cached for the failure
    assert cache.get(TEXT, ModelChoice(tiny("text-classification"))).pipe("fine")[0]["score"] > 0


def test_missing_or_empty_folder_says_so(tmp_path):
    cache = ModelCache(DeviceManager("cpu"))
    with pytest.raises(ModelLoadError, match="does not exist"):
        cache.get(TEXT, ModelChoice(str(tmp_path / "nope")))
    with pytest.raises(ModelLoadError, match="holds no model"):
        cache.get(TEXT, ModelChoice(str(tmp_path)))


def test_model_of_another_task_is_refused(tiny):
    cache = ModelCache(DeviceManager("cpu"))
    with pytest.raises(UserError, match="ViTForImageClassification.*not a Text classification model"):
        cache.get(TEXT, ModelChoice(tiny("image-classification")))


def test_failed_load_does_not_poison_the_cache(tiny, tmp_path):
    folder = shutil.copytree(tiny("text-classification"), tmp_path / "model")
    weights = folder / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(b"corrupt")
    cache = ModelCache(DeviceManager("cpu"))
    choice = ModelChoice(str(folder), label="my model")
    with pytest.raises(ModelLoadError, match="Could not load 'my model' for Text classification"):
        cache.get(TEXT, choice)
    weights.write_bytes(good)  # the operator fixes the file; the retry works
    assert cache.get(TEXT, choice).pipe("ok")[0]["label"] in ("POSITIVE", "NEGATIVE")


def test_malloc_arenas_are_capped_on_glibc_and_the_operator_can_say_otherwise(monkeypatch):
    """main() caps glibc's malloc arenas (bench/load_test.py --requests 900: +27% RSS without, +9% with)."""
    import platform

    from runtime.models import limit_malloc_arenas

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert limit_malloc_arenas(2) is True  # mallopt accepted it
    assert limit_malloc_arenas(2, libc="libno-such-libc.so") is False  # elsewhere: nothing happens, no error
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas(2, libc="libno-such-libc.so") is True  # the operator's setting stands
