"""A bounded load test on loopback: 200 short analyses from 8 concurrent clients against a real server with its
default worker pool. Only the documented refusals (413, 503) may come back besides 200; p50 and p95 are printed."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.web.conftest import start_server

REQUESTS, CLIENTS = 200, 8
TEXTS = [
    "The mayor said on Tuesday that the bridge was closed.",
    "Officials in Kyiv said 40 civilians were evacuated from Izyum on Monday.",
    "According to sources familiar with the talks, the deal could be signed next week.",
    "The ministry denied the report, calling it fabricated.",
    "Reuters reported that exports fell by 12 percent in August.",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_server():
    from sourcetrace.web.app import WebSettings, create_app

    running, stop = start_server(create_app(WebSettings()))  # the defaults `serve` runs with
    yield running
    stop()


def test_200_requests_from_8_clients_get_answers_or_documented_refusals(default_server, capsys):
    url = default_server.url + "/api/analyze"

    def client_run(client_index: int) -> list[tuple[int, float]]:
        results = []
        with httpx.Client(timeout=120) as client:
            for request_index in range(client_index, REQUESTS, CLIENTS):
                started = time.monotonic()
                response = client.post(url, json={"text": TEXTS[request_index % len(TEXTS)],
                                                  "id": f"load-{request_index}"})
                results.append((response.status_code, time.monotonic() - started))
        return results

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as clients:
        results = [result for batch in clients.map(client_run, range(CLIENTS)) for result in batch]
    wall = time.monotonic() - started

    statuses = [status for status, _ in results]
    latencies = sorted(seconds for status, seconds in results if status == 200)
    assert len(results) == REQUESTS
    assert set(statuses) <= {200, 413, 503}, sorted(set(statuses))
    assert len(latencies) >= REQUESTS // 2, f"only {len(latencies)} of {REQUESTS} answered"
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    with capsys.disabled():
        print(f"\nload: {REQUESTS} requests, {CLIENTS} clients, {wall:.1f} s: {statuses.count(200)} × 200, "
              f"{statuses.count(503)} × 503, {statuses.count(413)} × 413; p50 {p50 * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms")
