from tasks import REGISTRY
from web.deep_link import deep_link


def test_deep_link_selects_modality_task_and_model(config, tiny):
    found = deep_link(REGISTRY, {"task": "image-classification", "model": tiny("image-classification")}, config.choices)
    assert found == {"modality": "vision", "task": "image-classification", "model": tiny("image-classification")}
    assert deep_link(REGISTRY, {"task": "text_classification"}, config.choices)["task"] == "text-classification"
    assert deep_link(REGISTRY, {}, config.choices) == {}


def test_deep_link_to_unknown_tab_or_model_warns(config):
    assert "no 'nope' tab" in deep_link(REGISTRY, {"task": "nope"}, config.choices)["warning"]
    found = deep_link(REGISTRY, {"task": "text-classification", "model": "x/y"}, config.choices)
    assert found["task"] == "text-classification" and "model" not in found and "does not offer 'x/y'" in found["warning"]
