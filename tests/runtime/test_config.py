import json

import pytest

from runtime.config import Config, ModelChoice, parse_size
from runtime.errors import UserError
from tasks import REGISTRY

TEXT = REGISTRY["text-classification"]


def test_curated_models_by_default_and_first_is_default():
    config = Config()
    assert config.choices(TEXT)[0].id == TEXT.models[0]
    assert config.resolve(TEXT, None).id == TEXT.models[0]
    assert config.resolve(TEXT, TEXT.models[1]).id == TEXT.models[1]


def test_visitors_cannot_pick_unlisted_models_unless_allowed():
    with pytest.raises(UserError, match="only offers the listed models"):
        Config().resolve(TEXT, "someone/else")
    assert Config(allow_any_model=True).resolve(TEXT, "someone/else") == ModelChoice("someone/else")


def test_a_refusal_names_the_listed_models_without_server_paths(tmp_path):
    folder = tmp_path / "models" / "our-classifier"
    folder.mkdir(parents=True)
    config = Config(models={TEXT.name: (ModelChoice(str(folder)), ModelChoice(str(tmp_path / "x"), label="Ours"),
                                        ModelChoice("org/hub-model"))})
    with pytest.raises(UserError) as refused:
        config.resolve(TEXT, "someone/else")
    assert str(refused.value).endswith("listed models for Text classification: our-classifier, Ours, org/hub-model.")
    assert str(tmp_path) not in str(refused.value)
    assert config.resolve(TEXT, "our-classifier").id == str(folder)  # the name it was told works


def test_local_paths_and_remote_code_need_the_operator():
    with pytest.raises(UserError, match="does not load models from folders"):
        Config(allow_any_model=True).resolve(TEXT, "/etc")
    assert Config(allow_any_model=True, allow_local_paths=True).resolve(TEXT, "/etc").id == "/etc"
    trusted = ModelChoice("org/custom", trust_remote_code=True)
    config = Config(models={TEXT.name: (trusted,)}, allow_any_model=True)
    assert config.resolve(TEXT, "org/custom").trust_remote_code
    assert not config.resolve(TEXT, "org/other").trust_remote_code


def test_config_file_env_and_overrides(tmp_path, monkeypatch):
    (tmp_path / "m").mkdir()
    path = tmp_path / "playground.json"
    path.write_text(json.dumps({
        "models": {"text-classification": ["./m", {"id": "org/x", "label": "X", "revision": "abc123"}]},
        "memory_budget": "1.5GB", "max_image_side": 512, "preload": ["text-classification"],
    }))
    monkeypatch.setenv("PLAYGROUND_ALLOW_ANY_MODEL", "true")
    config = Config.load(path, dtype="bfloat16")
    assert [c.id for c in config.choices(TEXT)] == [str(tmp_path / "m"), "org/x"]
    assert config.resolve(TEXT, "X").revision == "abc123"
    assert config.memory_budget == int(1.5 * 1024**3)
    assert config.limits.max_image_side == 512 and config.dtype == "bfloat16" and config.allow_any_model
    assert config.preload_list(REGISTRY) == [(TEXT, ModelChoice(str(tmp_path / "m")))]


def test_preload_names_and_all():
    pairs = Config(preload=("text-classification=" + TEXT.models[1],)).preload_list(REGISTRY)
    assert pairs == [(TEXT, ModelChoice(TEXT.models[1]))]
    assert len(Config(preload=("all",)).preload_list(REGISTRY)) == len(REGISTRY)
    with pytest.raises(KeyError, match="Valid tasks"):
        Config(preload=("no-such-task",)).preload_list(REGISTRY)


@pytest.mark.parametrize("text,size", [("4GB", 4 * 1024**3), ("512mb", 512 * 1024**2), (1000, 1000), (None, None)])
def test_parse_size(text, size):
    assert parse_size(text) == size
