"""The Ray engine on a small local Ray instance: same tables as the pool, and no Ray process left behind."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest

from sourcetrace.corpus.runner import RunOptions, run_corpus
from sourcetrace.corpus.store import CorpusStore

from .conftest import ARTICLES, write_jsonl

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'sourcetrace[ray]'")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines = (entry / "status").read_text().splitlines()
                ppid = int(next(line for line in lines if line.startswith("PPid:")).split()[1])
            except (OSError, StopIteration, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.slow
def test_ray_engine_stores_every_article_once_and_shuts_down(tmp_path):
    source = write_jsonl(tmp_path / "articles.jsonl", ARTICLES, broken_line=False)
    out = tmp_path / "out"
    before = _descendants(os.getpid())
    summary = run_corpus(
        [source], out, RunOptions(store=str(out), stages=("backbone",), task_size=2, workers=1, embed_claims=False),
        engine="ray", progress=False,
    )
    assert not ray.is_initialized()
    # four articles, one worker: tasks of one article each, so that progress moves with every article
    assert summary.analysed == len(ARTICLES) and summary.tasks == 4
    store = CorpusStore.open(out)
    ids = collections.Counter(r["article_id"] for r in store.rows("SELECT article_id FROM articles"))
    assert ids == collections.Counter(a["id"] for a in ARTICLES)
    assert store.articles(limit=10)[0]["article_id"] == "budget"
    assert {r["article_id"]: r["duplicate_of"] for r in store.articles(limit=10)}["bridge-copy"] == "bridge"
    leftover = {pid for pid in _descendants(os.getpid()) - before if _alive(pid)}
    assert not leftover, f"Ray processes left running: {leftover}"


@pytest.mark.slow
def test_ray_engine_pulls_batches_as_actors_free_up(tmp_path):
    """The driver streams the corpus: it never holds more than two batches per actor plus the one just read,
    so a corpus larger than the driver's memory still runs."""
    from sourcetrace.analysis import ArticleInfo
    from sourcetrace.corpus.backends import open_backend
    from sourcetrace.corpus.engines.ray import run_ray

    articles = [ArticleInfo(id=f"a{i}", text=ARTICLES[i % len(ARTICLES)]["text"]) for i in range(6)]
    pulled, reported = [], []

    def batches():
        for article in articles:
            pulled.append(article.id)
            yield [article]

    def on_report(report):
        assert len(pulled) <= len(reported) + 2 + 1, f"{len(pulled)} batches read before {len(reported)} reports"
        reported.append(report)

    store = str(tmp_path / "out")
    open_backend(store).prepare()
    run_ray(batches(), RunOptions(store=store, stages=("backbone",), workers=1, embed_claims=False), on_report)
    assert not ray.is_initialized()
    assert len(reported) == 6 and sum(report["articles"] for report in reported) == 6
    assert len(pulled) == 6
