"""The server's analysis workers, for real: uvicorn on 127.0.0.1 and spawned worker processes that each load the
pipeline. An analysis past the limit is killed and the next request is answered at once by the other worker; a
full pool and queue answers 503 with Retry-After; an explicit charset reaches the worker's analysis intact."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.conftest import EXAMPLE_ARTICLE
from tests.web.conftest import start_server

WORKERS, MAX_QUEUED, TIMEOUT_S = 2, 6, 3.0
SENTENCE = "The mayor said on Tuesday that the bridge was closed."

pytestmark = pytest.mark.slow  # two worker processes load the pipeline (about 10-20 s), and replacements reload it


@pytest.fixture(scope="module")
def pool_server():
    from sourcetrace.web.app import WebSettings, create_app

    settings = WebSettings(workers=WORKERS, max_queued=MAX_QUEUED, analysis_timeout_s=TIMEOUT_S)
    running, stop = start_server(create_app(settings))
    yield running
    stop()


def long_article() -> str:
    """About 60 KB of real news text: most of a minute of analysis, far past the time limit, yet under the
    pipeline's own size limit (which would refuse it at once)."""
    text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    return "\n\n".join([text] * (60_000 // len(text) + 1))


def wait_until_every_worker_is_ready(url: str, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        health = httpx.get(url + "/api/health", timeout=10).json()
        if health["workers_ready"] == health["workers"] and health["in_flight"] == 0:
            return health
        assert time.monotonic() < deadline, f"the workers were not all ready again: {health}"
        time.sleep(0.2)


def test_after_a_timed_out_analysis_the_next_request_is_answered_at_once(pool_server):
    url = pool_server.url
    before = wait_until_every_worker_is_ready(url)
    started = time.monotonic()
    timed_out = httpx.post(url + "/api/analyze", content=long_article().encode(),
                           headers={"content-type": "text/plain"}, timeout=60)
    assert timed_out.status_code == 504, timed_out.text
    assert "limit of 3 s" in timed_out.json()["detail"]
    assert time.monotonic() - started < TIMEOUT_S + 5

    started = time.monotonic()
    answered = httpx.post(url + "/api/analyze", json={"text": SENTENCE}, timeout=60)
    elapsed = time.monotonic() - started
    assert answered.status_code == 200, answered.text
    assert answered.json()["article"]["text"] == SENTENCE
    assert elapsed < 5, f"the sentence took {elapsed:.1f} s after the timed-out analysis"

    # the killed worker is replaced, and the pool is whole again
    after = wait_until_every_worker_is_ready(url)
    assert after["workers_replaced"] == before["workers_replaced"] + 1


def test_a_full_pool_and_queue_answers_503_with_retry_after(pool_server):
    url = pool_server.url
    wait_until_every_worker_is_ready(url)
    body = long_article().encode()
    statuses: list[int] = []

    def post_long() -> None:
        response = httpx.post(url + "/api/analyze", content=body, headers={"content-type": "text/plain"},
                              timeout=120)
        statuses.append(response.status_code)

    clients = [threading.Thread(target=post_long) for _ in range(WORKERS + MAX_QUEUED)]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 10
    while httpx.get(url + "/api/health").json()["in_flight"] < WORKERS + MAX_QUEUED:
        assert time.monotonic() < deadline, "the long requests were not all taken in"
        time.sleep(0.02)

    refused = httpx.post(url + "/api/analyze", json={"text": SENTENCE})
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert "busy" in refused.json()["detail"]
    page = httpx.post(url + "/analyse", data={"text": SENTENCE})  # the Analyse page says the same
    assert page.status_code == 503 and int(page.headers["retry-after"]) > 0

    for client in clients:
        client.join(120)
    # the running ones pass the limit (504); the waiting ones find no free worker in time (503)
    assert sorted(set(statuses)) in ([503, 504], [504]), statuses
    assert statuses.count(504) >= WORKERS
    wait_until_every_worker_is_ready(url)
    assert httpx.post(url + "/api/analyze", json={"text": SENTENCE}, timeout=60).status_code == 200


def test_an_explicit_charset_reaches_the_analysis_intact(pool_server):
    text = "The French ministère said on Monday that the talks had failed."
    response = httpx.post(pool_server.url + "/api/analyze", content=text.encode("latin-1"),
                          headers={"content-type": "text/plain; charset=latin-1"}, timeout=60)
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert analysis["article"]["text"] == text
    assert "ministère" in analysis["sentences"][0]["text"]
