"""The process-pool engine with the real CLI: a `kill -9` mid-run, then the same command, loses nothing and
analyses nothing twice; workers do not outlive a killed run."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sourcetrace.corpus.store import CorpusStore

REPO = Path(__file__).resolve().parents[2]
CITIES = ["Kharkiv", "Odesa", "Kherson", "Mykolaiv", "Dnipro", "Zaporizhzhia", "Sumy", "Poltava", "Lviv", "Chernihiv"]


def _records(count: int) -> list[dict]:
    records = []
    for i in range(count):
        city = CITIES[i % len(CITIES)]
        text = (
            f"Officials in {city} said on Monday that {10 + i} families had been moved from the river bank after "
            f"the dam upstream was damaged. The regional governor told reporters that {i % 4 + 2} schools would "
            "stay closed this week. Volunteers from nearby villages brought water and blankets to the shelters."
        )
        records.append({"id": f"art-{i:03d}", "text": text, "outlet": f"Outlet {i % 3}", "published": "2023-06-06"})
    return records


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc to find the worker processes")
def test_kill_9_mid_run_then_rerun_stores_every_article_exactly_once(tmp_path):
    count = 60
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in _records(count)), encoding="utf-8")
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "sourcetrace", "run", str(source), "--out", str(out), "--workers", "2",
        "--task-size", "1", "--stages", "backbone", "--no-embed",
    ]
    log = (tmp_path / "first.log").open("w")
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    shards = out / "shards"
    deadline = time.monotonic() + 300
    workers: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        workers = _children(process.pid) or workers
        if shards.exists() and len(list(shards.iterdir())) >= 3:
            break
        time.sleep(0.02)
    assert process.poll() is None, f"the run ended before it could be killed: {(tmp_path / 'first.log').read_text()}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # The workers die with their parent (an orphan finishing its task would store articles twice).
    assert workers, "the pool had started worker processes"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    stored_at_kill = len(list(shards.iterdir()))
    assert 0 < stored_at_kill < count
    time.sleep(1)
    assert len(list(shards.iterdir())) == stored_at_kill

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{stored_at_kill} already done" in " ".join(rerun.stderr.split())
    store = CorpusStore.open(out)
    ids = collections.Counter(row["article_id"] for row in store.rows("SELECT article_id FROM articles"))
    assert set(ids) == {f"art-{i:03d}" for i in range(count)}
    assert max(ids.values()) == 1
    # Every layer holds each article's rows once: sentences of one article, counted per article.
    per_article = store.rows("SELECT article_id, count(*) AS n FROM entities GROUP BY article_id")
    assert len(per_article) == count
    assert not list((out / "tmp").iterdir())
