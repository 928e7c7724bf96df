"""One task of a corpus run, the same in every engine: `init_worker` loads the pipeline, the claim embedder and
the store connection once per process; `process_task` analyses a batch of records (`analyze_records`) and
stores its shard in one atomic step."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.corpus.backends import open_backend
from sourcetrace.corpus.backends.tables import analyses_to_tables, errors_table, stage_failure_rows
from sourcetrace.corpus.clusters import embed_claim_texts, load_default_embedder
from sourcetrace.corpus.dedupe import content_sha1, signature_bytes
from sourcetrace.errors import ConfigurationError
from sourcetrace.ingest.common import ReadArticle, input_warnings
from sourcetrace.pipeline.memory import freeze_loaded_objects, map_large_blocks, release_free_memory
from sourcetrace.pipeline.run import Pipeline, load_pipeline


def default_workers() -> int:
    """One worker per core, leaving one for the parent (reading inputs) where there are several."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


@dataclass(frozen=True)
class RunOptions:
    """How to analyse: which pipeline stages (None: the default pipeline; (): none, to measure the engine),
    how many articles per task, how many workers, where to store, whether to embed claims for clustering."""

    store: str
    stages: tuple[str, ...] | None = None
    task_size: int = 64
    workers: int = field(default_factory=default_workers)
    embed_claims: bool = True
    config: dict[str, dict[str, Any]] | None = None  # stage settings (`--profile`, `--config`); None: defaults


# --- the analysis core, once per worker process --------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _die_with_parent(parent_pid: int | None) -> None:
    """A worker must not outlive its run: after a `kill -9` of the parent, an orphan finishing its task
    would store articles the rerun analyses again."""
    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def build_pipeline(stages: tuple[str, ...] | None, config: dict[str, dict[str, Any]] | None = None) -> Any:
    if stages is not None and len(stages) == 0:
        return Pipeline(())
    return load_pipeline(stages, config)


def init_worker(options: RunOptions, parent_pid: int | None = None) -> None:
    """Load the pipeline, the embedder and the store connection once for this process."""
    _die_with_parent(parent_pid)
    map_large_blocks()
    # One process per core already: ONNX sessions with several threads each would oversubscribe the cores.
    os.environ.setdefault("SOURCETRACE_EMBED_THREADS", "1")
    _WORKER.clear()
    _WORKER["options"] = options
    _WORKER["parent_pid"] = parent_pid
    _WORKER["pipeline"] = build_pipeline(options.stages, options.config)
    _WORKER["embedder"] = load_default_embedder() if options.embed_claims and options.stages != () else None
    _WORKER["backend"] = open_backend(options.store)
    freeze_loaded_objects()


def article_origin(article: ArticleInfo) -> tuple[str | None, int | None]:
    """The file and line an article was read from, where the reader said."""
    return getattr(article, "source", None), getattr(article, "line", None)


def _analyze_safely(pipeline: Any, articles: list[ArticleInfo]) -> tuple[list[Analysis], list[dict[str, Any]]]:
    """The batch at once; if it fails, each article alone, so that one bad article fails alone. A missing
    model or bad setting fails the run instead: it is no article's fault, and the articles must stay undone."""
    try:
        return pipeline.analyze_batch(articles), []
    except ConfigurationError:
        raise
    except Exception:  # noqa: BLE001 - any stage may fail on odd input; the run must go on
        pass
    analyses, errors = [], []
    for article in articles:
        try:
            analyses.extend(pipeline.analyze_batch([article]))
        except ConfigurationError:
            raise
        except Exception as exc:  # noqa: BLE001
            source, line = article_origin(article)
            errors.append(
                {"article_id": article.id, "source": source or article.url or article.id, "line": line,
                 "error": f"analysis failed: {type(exc).__name__}: {exc}"[:1000], "kind": "analysis"}
            )
    return analyses, errors


def analyze_records(records: Sequence[ArticleInfo | dict[str, Any]], task: str = "") -> dict[str, pa.Table]:
    """The analysis core of both engines: a batch of article records in, the rows of every table out."""
    if "pipeline" not in _WORKER:
        raise ConfigurationError("init_worker() must run in this process before analyze_records()")
    articles = [r if isinstance(r, ArticleInfo) else ReadArticle.model_validate(r) for r in records]
    analyses, errors = _analyze_safely(_WORKER["pipeline"], articles)
    warnings = {article.id: input_warnings(article) for article in articles}
    for analysis in analyses:
        meta_warnings = analysis.meta.warnings
        meta_warnings.extend(w for w in warnings.get(analysis.article.id, ()) if w not in meta_warnings)
    errors += stage_failure_rows(analyses, {article.id: article_origin(article) for article in articles})
    extras = [
        {"content_sha1": content_sha1(a.article.text), "minhash": signature_bytes(a.article.text)} for a in analyses
    ]
    embeddings = embed_claim_texts(_WORKER["embedder"], [(c.id, c.span.text) for a in analyses for c in a.claims])
    tables = analyses_to_tables(analyses, task, extras, embeddings)
    tables["errors"] = errors_table(errors)
    return tables


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def process_task(task: str, records: Sequence[ArticleInfo | dict[str, Any]]) -> dict[str, Any]:
    """Analyse one task's records and store its shard atomically; a short report goes back to the parent."""
    started = time.perf_counter()
    tables = analyze_records(records, task)
    parent_pid = _WORKER.get("parent_pid")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # orphaned: the rerun owns these articles now
    _WORKER["backend"].write_task(task, tables)
    errors = tables["errors"].to_pylist()
    if not _WORKER.get("frozen_after_a_task"):
        # models and tables some stages load on their first article join the ones loaded with the pipeline
        freeze_loaded_objects()
        _WORKER["frozen_after_a_task"] = True
    release_free_memory()
    return {
        "task": task,
        "articles": tables["articles"].num_rows,
        "analysis_errors": sum(1 for row in errors if row["kind"] == "analysis"),
        "stage_failures": len({row["article_id"] for row in errors if row["kind"] == "stage"}),  # articles
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
        "pid": os.getpid(),
    }
