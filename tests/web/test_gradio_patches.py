"""The adjustments of gradio's internals (web/gradio_patches): each in force on the pinned gradio, each off with one
log line when its shape check fails, and the whole app serving every tab with all of them off."""

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from web import gradio_patches
from web.gradio_patches import PATCHES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(PATCHES))
def test_each_patch_finds_the_shape_it_was_written_for(name):
    """On the pinned gradio every shape check holds: a new gradio that changes one fails here, loudly."""
    assert PATCHES[name].shape_ok(), f"gradio has changed what {name} relies on: check it, then re-pin"
    assert gradio_patches.why_off(name) is None


def test_the_ci_check_lists_every_patch_and_says_none_is_off():
    done = subprocess.run([sys.executable, "-m", "web.gradio_patches"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PLAYGROUND_GRADIO_PATCHES": ""})
    assert done.returncode == 0, done.stdout + done.stderr
    for name in PATCHES:
        assert f"on   {name}" in done.stdout
    assert f"{len(PATCHES)} on, 0 off" in done.stdout
    off = subprocess.run([sys.executable, "-m", "web.gradio_patches"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PLAYGROUND_GRADIO_PATCHES": "quiet_queue"})
    assert off.returncode == 1 and "OFF  quiet_queue      turned off by PLAYGROUND_GRADIO_PATCHES" in off.stdout


@pytest.fixture
def fresh(monkeypatch):
    """why_off() asked anew, as in a new process."""
    monkeypatch.setattr(gradio_patches, "_why_off", {})
    return monkeypatch


def test_a_changed_shape_turns_that_patch_off_with_one_log_line(fresh, caplog):
    patch = PATCHES["lean_sessions"]
    fresh.setitem(PATCHES, "lean_sessions", gradio_patches.Patch(patch.name, patch.buys, lambda: False, patch.install))
    with caplog.at_level(logging.WARNING):
        assert "has changed the shape it relies on" in gradio_patches.why_off("lean_sessions")
        assert gradio_patches.why_off("lean_sessions")  # asked again: the same answer, no second line
    lines = [r for r in caplog.records if "lean_sessions" in r.getMessage()]
    assert len(lines) == 1 and "gradio works as gradio does" in lines[0].getMessage()
    assert gradio_patches.on("quiet_queue")  # the others stay on


def test_a_shape_check_that_raises_turns_the_patch_off_not_the_app(fresh):
    def broken():
        raise AttributeError("no such thing")

    patch = PATCHES["render_once"]
    fresh.setitem(PATCHES, "render_once", gradio_patches.Patch(patch.name, patch.buys, broken))
    assert "shape check failed (AttributeError: no such thing)" in gradio_patches.why_off("render_once")


def test_a_gradio_outside_the_checked_range_has_every_patch_off(fresh):
    fresh.setattr(gradio_patches, "version", lambda package: "6.40.0")
    assert all("outside the range" in gradio_patches.why_off(name) for name in PATCHES)
    assert gradio_patches.apply() == {name: gradio_patches.why_off(name) for name in PATCHES}


def test_an_unknown_patch_name_is_an_error_not_off():
    with pytest.raises(KeyError):
        gradio_patches.on("no_such_patch")


def test_the_app_serves_every_tab_with_every_patch_off(tiny_config, example, tmp_path):
    """The whole app with PLAYGROUND_GRADIO_PATCHES=off (gradio as gradio is): each tab answers its first example
    through Gradio's API."""
    from gradio_client import Client

    from tasks import REGISTRY

    import socket

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PLAYGROUND_GRADIO_PATCHES": "off", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py", "--config", str(tiny_config), "--port", str(port)], cwd=ROOT,
                              env=env, stdout=open(tmp_path / "log", "w"), stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail((tmp_path / "log").read_text()[-3000:])
        log = (tmp_path / "log").read_text()
        assert "adjustment" not in log  # off on purpose: no warning lines
        client = Client(url, ssl_verify=False, verbose=False)
        names = {t.name: t for t in REGISTRY.values()}
        config = json.loads(Path(tiny_config).read_text())["models"]
        for name, task in names.items():
            values = example(task)
            answer = client.predict(model=config[name][0]["id"], **values, api_name=f"/{task.api_name}")
            statuses = [a for a in answer if isinstance(a, str) and "inference" in a]
            assert statuses, f"{name}: {str(answer)[:300]}"
    finally:
        server.terminate()
        server.wait(30)


def test_the_example_assets_are_playable_so_start_up_need_not_probe_them(monkeypatch, config, models, tmp_path):
    """build_demo answers gradio's 'can a browser play this?' for assets/ without ffprobe (~0.7 s of start-up):
    true of every audio and video asset by gradio's own probe, and no probe runs while the UI is built."""
    from gradio import processing_utils

    from app import build_demo
    from web.gradio_patches.assets import ASSETS, trust_example_assets

    trust_example_assets()
    for path in ASSETS.iterdir():
        if path.suffix in (".wav", ".ogg", ".flac", ".mp3"):
            assert processing_utils.audio_is_playable.probe(str(path)), path
        elif path.suffix in (".mp4", ".webm"):
            assert processing_utils.video_is_playable.probe(str(path)), path
    probes = []
    real = processing_utils.FFprobe
    monkeypatch.setattr(processing_utils, "FFprobe", lambda *a, **k: probes.append(k) or real(*a, **k))
    build_demo(config, models)
    assert probes == []
    sf.write(tmp_path / "tone.wav", np.zeros(800, dtype=np.float32), 8000)  # anything else is still probed
    assert processing_utils.audio_is_playable(str(tmp_path / "tone.wav")) and len(probes) == 1
