"""The versions the app is tested on are the versions it is pinned to, in every place that names them."""

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pinned(path: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#;]+)", line)
        if m:
            pins[m[1].lower().replace("_", "-")] = m[2]
    return pins


def test_spaces_runs_the_gradio_the_tests_ran_on():
    front = (ROOT / "README.md").read_text().split("---")[1]
    sdk = re.search(r"^sdk_version:\s*(\S+)", front, re.M)[1]
    assert pinned("requirements.txt")["gradio"] == sdk == pinned("constraints.txt")["gradio"] == version("gradio")


def test_the_installed_versions_are_the_constrained_ones():
    """CI installs with -c constraints.txt: what runs is what is written there (refresh it with pip freeze)."""
    constraints = pinned("constraints.txt")
    for package in ("gradio", "gradio-client", "transformers", "torch", "huggingface-hub", "tokenizers", "accelerate"):
        assert constraints[package] == version(package), package
    assert pinned("requirements.txt")["transformers"] == constraints["transformers"]
    ci = (ROOT / ".ci/run").read_text()
    assert "-c constraints.txt" in ci and "-c constraints.txt" in (ROOT / "README.md").read_text()
