"""A page per modality (app.py): a visitor's browser gets its page's part of the config only, every task's API works
from any page, and a link to a task on another page is sent there before a page is rendered (web/deep_link.py)."""

import json
import re
from urllib.parse import urljoin

import httpx
import pytest

from tasks import REGISTRY

TASKS = list(REGISTRY)


def embedded_config(html: str) -> dict:
    found = re.search(r"gradio_config = ", html)
    assert found, "the page embeds no gradio config"
    return json.JSONDecoder().raw_decode(html, found.end())[0]


@pytest.fixture(scope="module")
def pages(served) -> dict[str, dict]:
    """page path -> the config its HTML carries, fetched as a browser does."""
    demo, url = served
    with httpx.Client(base_url=url, headers={"accept-encoding": "gzip"}) as http:
        return {path: embedded_config(http.get(f"/{path}").text) for path in set(demo.page_paths.values())}


def test_there_is_a_page_per_modality_and_the_landing_page_is_the_first(served):
    demo, _ = served
    modalities = [m for m, tasks in REGISTRY.by_modality().items() if tasks]
    assert [name for _, name, _ in demo.pages][1:] == modalities[1:]
    assert {demo.page_paths[task.name] for task in REGISTRY.by_modality()[modalities[0]]} == {""}


@pytest.mark.parametrize("task_name", TASKS)
def test_a_tasks_widgets_travel_with_its_page_only(served, pages, task_name):
    demo, _ = served
    tab, home = demo.tabs[task_name], demo.page_paths[task_name]
    widgets = {tab.run._id, tab.model._id, *(w._id for w in tab.inputs.values()),
               *(w._id for w in tab.outputs.values())}
    for path, config in pages.items():
        ids = {component["id"] for component in config["components"]}
        if path == home:
            assert widgets <= ids, f"{task_name}: its page ({path or '/'}) lacks some of its widgets"
        else:
            assert not widgets & ids, f"{task_name}: its widgets are sent with the page /{path} too"


def test_each_page_is_a_fraction_of_the_whole_and_has_no_component_type_it_does_not_use(served, pages):
    demo, _ = served
    whole = demo.config["components"]
    for path, config in pages.items():
        assert len(config["components"]) < 0.6 * len(whole), path
        ids = {component["id"] for component in config["components"]}
        elsewhere = {c["type"] for c in whole if c["id"] not in ids} - {c["type"] for c in config["components"]}
        assert elsewhere or len(pages) == 1  # some component type (an audio player, a chat...) is not loaded here
    landing_types = {component["type"] for component in pages[""]["components"]}
    used_on_landing = {w.get_block_name() for name, path in demo.page_paths.items() if path == ""
                       for w in (*demo.tabs[name].inputs.values(), *demo.tabs[name].outputs.values())}
    assert used_on_landing <= landing_types


def test_every_tasks_api_answers_whatever_page_it_is_on(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {f"/{REGISTRY[name].api_name}" for name in TASKS} <= set(endpoints)


@pytest.mark.parametrize("task_name", TASKS)
def test_a_link_to_a_task_is_sent_to_its_page_with_its_query(served, task_name):
    demo, url = served[0], served[1].rstrip("/")
    home = demo.page_paths[task_name]
    query = f"task={task_name.replace('-', '_')}&model=some%2Fmodel"  # as the registry reads names: API-style too
    with httpx.Client(base_url=url, follow_redirects=False) as http:
        for path in set(demo.page_paths.values()):
            answer = http.get(f"/{path}?{query}")
            if path == home:
                assert answer.status_code == 200 and "gradio_config" in answer.text
            else:
                assert answer.status_code == 302, (path, answer.status_code)
                target = urljoin(f"{url}/{path}?{query}", answer.headers["location"])
                assert target == f"{url}/{home}?{query}"
                assert http.get(target).status_code == 200


def test_an_unknown_task_stays_on_the_page_that_names_it(served):
    demo, url = served
    with httpx.Client(base_url=url, follow_redirects=False) as http:
        for path in set(demo.page_paths.values()):
            assert http.get(f"/{path}?task=no-such-task").status_code == 200
