"""The files a Hugging Face Space reads: README front matter, requirements.txt, packages.txt."""

import re
from pathlib import Path

from tasks import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    block = re.match(r"\A---\n(.*?)\n---\n", text, re.DOTALL)
    assert block, "README.md must open with the Space's YAML front matter"
    data, key = {}, None
    for line in block[1].splitlines():
        if line.startswith("  - ") and key:
            data.setdefault(key, []).append(line[4:].strip())
        elif ":" in line:
            key, _, value = line.partition(":")
            data[key.strip()] = value.strip().strip('"') or []
    return data


def test_readme_front_matter_is_a_complete_space_config():
    meta = front_matter()
    for key in ("title", "sdk", "sdk_version", "app_file", "python_version", "license", "models", "tags"):
        assert meta.get(key), f"README front matter lacks {key}"
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["sdk_version"].startswith("6.")
    assert re.fullmatch(r"3\.\d+", meta["python_version"])
    assert (ROOT / "README.md").read_text().count('python_version: "') == 1  # quoted, or YAML reads 3.1 for 3.10


def test_front_matter_models_are_curated_models_of_the_tabs():
    curated = {m for task in REGISTRY.values() for m in task.models}
    assert set(front_matter()["models"]) <= curated, "README lists models no tab offers"


def test_space_package_lists():
    requirements = (ROOT / "requirements.txt").read_text()
    for package in ("gradio", "transformers", "torch", "pillow", "soundfile", "soxr"):
        assert re.search(rf"^{package}\b", requirements, re.MULTILINE), package
    assert "spaces" not in requirements  # ZeroGPU Spaces bring it; elsewhere it is optional
    assert "tesseract-ocr" in (ROOT / "packages.txt").read_text().split()
    screenshots = [p.name for p in (ROOT / "assets" / "screenshots").glob("*.png")]
    readme = (ROOT / "README.md").read_text()
    assert screenshots and all(f"assets/screenshots/{name}" in readme for name in screenshots)


def test_the_front_matter_lists_every_curated_model():
    """Spaces links the Space from each model page named in `models:`: every tab's curated models, once each."""
    front = (ROOT / "README.md").read_text().split("---")[1]
    listed = re.findall(r"^  - (\S+)$", front.split("models:\n")[1].split("tags:")[0], re.M)
    curated = list(dict.fromkeys(m for task in REGISTRY.values() for m in task.models))
    assert listed == curated
