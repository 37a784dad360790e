"""A small run of bench/load_test.py against the app under test: concurrent clients, no failures, no cross-talk."""

from bench.load_test import build_requests, mixed_tasks, expected_answers, report, run
from tasks import REGISTRY

MIXED = mixed_tasks(REGISTRY)


def test_sixty_mixed_requests_from_eight_clients_all_get_their_own_answer(served, client, config, tmp_path):
    models = {task: choices[0].id for task, choices in config.models.items()}
    requests = build_requests(MIXED, served[0].tabs, models, 60, tmp_path)
    expected_answers(requests, config)
    assert len({r.task.name for r in requests}) == len(MIXED)  # every task takes part
    stats = run(client.src.rstrip("/"), requests, clients=8, max_seconds=300)
    print(report(stats, requests))
    assert not stats["failures"], stats["failures"]
    assert not stats["mismatches"], stats["mismatches"]
    assert stats["ok"] == 60
