"""The house reads app -> web -> tasks -> runtime: the engine (runtime/) imports no gradio and nothing above it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_imports_no_gradio_and_nothing_above_it():
    modules = sorted(f"runtime.{p.stem}" for p in (ROOT / "runtime").glob("*.py") if p.stem != "__init__")
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'gradio', 'web', 'app', 'tasks', 'fastapi'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"the engine imports {done.stdout.strip()}"
    assert len(modules) >= 10  # every engine module was imported


def test_the_task_registry_imports_no_gradio():
    """Task modules build their widgets with gradio only when asked to (inputs(), params(), outputs())."""
    code = "import sys; from tasks import REGISTRY; print(len(REGISTRY), 'gradio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    count, imported = done.stdout.split()
    assert int(count) >= 29 and imported == "False"


def test_no_module_imports_a_layer_above_its_own():
    """runtime/ never imports web/, tasks/ or app; tasks/ never imports web/ or app; web/ never imports app; none of
    them imports the tests (app.py does, for --build-tiny-models only)."""
    above = {"runtime": ("web", "tasks", "app", "tests"), "tasks": ("web", "app", "tests"), "web": ("app", "tests")}
    for layer, forbidden in above.items():
        for path in (ROOT / layer).rglob("*.py"):
            for line in path.read_text().splitlines():
                words = line.strip().split()
                if words[:1] in (["import"], ["from"]) and len(words) > 1:
                    top = words[1].split(".")[0]
                    assert top not in forbidden, f"{path.relative_to(ROOT)}: {line.strip()}"


def test_the_engines_tests_pass_with_gradio_out_of_reach():
    """tests/runtime (the engine's tests, on the real tasks and tiny models) run with any import of gradio refused
    (tests/conftest.py): the engine, the task modules' adapters and the tiny models need no web layer."""
    env = {**os.environ, "PLAYGROUND_TESTS_WITHOUT_GRADIO": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/runtime",
                           f"--ignore={Path(__file__).relative_to(ROOT)}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.strip().splitlines()[-1]
