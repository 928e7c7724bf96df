"""`sourcetrace serve` as a user starts it: a real process, a real port, then stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_rejects_a_folder_that_is_not_a_corpus(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sourcetrace", "serve", "--db", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "not a corpus folder" in result.stderr and "Traceback" not in result.stderr


def test_serve_rejects_a_negative_worker_count():
    result = subprocess.run([sys.executable, "-m", "sourcetrace", "serve", "--workers", "-1"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "--workers and --queue must be 0 or more" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_starts_answers_and_stops():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sourcetrace", "serve", "--port", str(port), "--max-request-mb", "0.001"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                health = httpx.get(base + "/api/health", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start: " + (process.stdout.read() or "")) from None
                time.sleep(0.5)
        assert health.json()["status"] == "ok" and health.json()["max_request_bytes"] == 1000
        assert httpx.get(base + "/").status_code == 200
        analysed = httpx.post(base + "/api/analyze", json={"text": "The mayor said the bridge was closed."})
        assert analysed.status_code == 200 and analysed.json()["sentences"]
        too_big = httpx.post(base + "/api/analyze", content=b"x" * 2000, headers={"content-type": "text/plain"})
        assert too_big.status_code == 413
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    assert process.returncode is not None
