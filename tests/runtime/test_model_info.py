from runtime.config import ModelChoice
from runtime.model_info import card_licence, model_info


def test_info_of_a_local_model_reads_its_config_weights_and_card(tiny):
    folder = tiny("text-classification")
    info = model_info(ModelChoice(folder))
    assert info.on_disk and info.architecture == "BertForSequenceClassification" and info.model_type == "bert"
    assert info.parameters > 1000 and info.size_bytes >= info.parameters * 4  # float32 weights
    assert info.random_weights
    text = info.markdown()
    assert "BertForSequenceClassification" in text and "parameters" in text and "KB" in text


def test_licence_comes_from_the_card_front_matter(tmp_path):
    assert card_licence("---\nlanguage: en\nlicense: apache-2.0\n---\n# Model") == "apache-2.0"
    assert card_licence("# no front matter\nlicense: mit") == ""


def test_a_model_not_downloaded_says_so_without_network(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    info = model_info(ModelChoice("someone/not-here"))
    assert not info.on_disk and "not downloaded" in info.markdown()


def test_a_cached_hub_model_is_read_from_the_cache(monkeypatch, tmp_path):
    snapshot = tmp_path / "models--org--m" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (tmp_path / "models--org--m" / "refs").mkdir()
    (tmp_path / "models--org--m" / "refs" / "main").write_text("a" * 40)
    (snapshot / "config.json").write_text('{"architectures": ["ViTForImageClassification"]}')
    (snapshot / "README.md").write_text("---\nlicense: mit\n---\n")
    (snapshot / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    info = model_info(ModelChoice("org/m"))
    assert info.on_disk and info.architecture == "ViTForImageClassification" and info.licence == "mit"
