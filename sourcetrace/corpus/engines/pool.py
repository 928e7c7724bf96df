"""Corpus runs: many articles through the analysis, in parallel, stored as shards, resumable after any kill.

The analysis core is `analyze_records(batch) -> tables`: a batch of article records in, the rows of every
table out. Both engines call it, through `process_task`, which also stores the task's shard in one atomic
step; they differ only in how batches reach it:

- `pool` (default): a process pool on this machine; each worker loads the models once (`init_worker`).
- `ray`: a pool of Ray actors fed batch by batch (`sourcetrace.corpus.engines.ray`), for clusters of machines.

The parent reads the inputs, skips ids already stored (that is the resume), stores the records it could not
read in the `errors` table, cuts tasks, shows progress, and at the end links duplicates, clusters claims and
writes the errors file. Every failure (a record not read, an article not analysed, a stage failing on one
article) is a row of `errors` with the record's id where it has one, and counts in `RunSummary.failed`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.corpus.backends.tables import analyses_to_tables, errors_table, stage_failure_rows
from sourcetrace.corpus.store import Backend, iter_batches, new_input_errors_id, new_task_id, open_backend
from sourcetrace.errors import ConfigurationError, InputError
from sourcetrace.ingest.common import ReadArticle, input_warnings


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
    from sourcetrace.pipeline.run import Pipeline, load_pipeline

    if stages is not None and len(stages) == 0:
        return Pipeline(())
    return load_pipeline(stages, config)


def init_worker(options: RunOptions, parent_pid: int | None = None) -> None:
    """Load the pipeline, the embedder and the store connection once for this process."""
    _die_with_parent(parent_pid)
    # One process per core already: ONNX sessions with several threads each would oversubscribe the cores.
    os.environ.setdefault("SOURCETRACE_EMBED_THREADS", "1")
    from sourcetrace.corpus.clusters import load_default_embedder

    _WORKER.clear()
    _WORKER["options"] = options
    _WORKER["parent_pid"] = parent_pid
    _WORKER["pipeline"] = build_pipeline(options.stages, options.config)
    _WORKER["embedder"] = load_default_embedder() if options.embed_claims and options.stages != () else None
    _WORKER["backend"] = open_backend(options.store)


def _origin(article: ArticleInfo) -> tuple[str | None, int | None]:
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
            source, line = _origin(article)
            errors.append(
                {"article_id": article.id, "source": source or article.url or article.id, "line": line,
                 "error": f"analysis failed: {type(exc).__name__}: {exc}"[:1000], "kind": "analysis"}
            )
    return analyses, errors


def analyze_records(records: Sequence[ArticleInfo | dict[str, Any]], task: str = "") -> dict[str, pa.Table]:
    """The analysis core of both engines: a batch of article records in, the rows of every table out."""
    from sourcetrace.corpus.clusters import embed_claim_texts
    from sourcetrace.corpus.dedupe import content_sha1, signature_bytes

    if "pipeline" not in _WORKER:
        raise ConfigurationError("init_worker() must run in this process before analyze_records()")
    articles = [r if isinstance(r, ArticleInfo) else ReadArticle.model_validate(r) for r in records]
    analyses, errors = _analyze_safely(_WORKER["pipeline"], articles)
    warnings = {article.id: input_warnings(article) for article in articles}
    for analysis in analyses:
        meta_warnings = analysis.meta.warnings
        meta_warnings.extend(w for w in warnings.get(analysis.article.id, ()) if w not in meta_warnings)
    errors += stage_failure_rows(analyses, {article.id: _origin(article) for article in articles})
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
    return {
        "task": task,
        "articles": tables["articles"].num_rows,
        "analysis_errors": sum(1 for row in errors if row["kind"] == "analysis"),
        "stage_failures": len({row["article_id"] for row in errors if row["kind"] == "stage"}),  # articles
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
        "pid": os.getpid(),
    }


# --- the process-pool engine -------------------------------------------------------------------------------


def run_pool(
    batches: Iterable[list[ArticleInfo]], options: RunOptions, on_report: Callable[[dict[str, Any]], None]
) -> None:
    """Tasks through a pool of worker processes (or in this process when workers is 0)."""
    if options.workers <= 0:
        init_worker(options)
        for batch in batches:
            on_report(process_task(new_task_id(), batch))
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")  # no fork of a parent holding threads and open files
    in_flight_limit = 2 * options.workers  # enough queued to keep workers busy; bounded so memory is too
    with ProcessPoolExecutor(
        max_workers=options.workers, mp_context=context, initializer=init_worker, initargs=(options, os.getpid())
    ) as pool:
        pending: set[Any] = set()
        try:
            for batch in batches:
                pending.add(pool.submit(process_task, new_task_id(), batch))
                if len(pending) >= in_flight_limit:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        on_report(future.result())
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_report(future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


# --- the parent: reading, resuming, progress, finishing ----------------------------------------------------


@dataclass
class RunSummary:
    analysed: int = 0
    skipped: int = 0
    input_errors: int = 0  # records that could not be read
    analysis_errors: int = 0  # articles that could not be analysed at all
    stage_failures: int = 0  # articles stored without the layer of a stage that failed on them
    warned: int = 0  # articles read with a warning (an unreadable date), in their meta.warnings
    tasks: int = 0
    seconds: float = 0.0
    peak_rss_mb_by_worker: dict[int, float] = field(default_factory=dict)
    duplicates: int = 0
    clusters: int = 0

    @property
    def failed(self) -> int:
        return self.input_errors + self.analysis_errors + self.stage_failures

    @property
    def articles_per_second(self) -> float:
        return self.analysed / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysed": self.analysed, "skipped": self.skipped, "input_errors": self.input_errors,
            "analysis_errors": self.analysis_errors, "stage_failures": self.stage_failures, "failed": self.failed,
            "warned": self.warned, "tasks": self.tasks, "seconds": round(self.seconds, 3),
            "articles_per_second": round(self.articles_per_second, 2),
            "peak_rss_mb_per_worker": round(max(self.peak_rss_mb_by_worker.values(), default=0.0), 1),
            "duplicates": self.duplicates, "clusters": self.clusters,
        }


def estimate_records(paths: Sequence[str | Path]) -> int | None:
    """A quick count of the articles in the inputs, for the ETA; None when a format cannot say cheaply."""
    from sourcetrace.ingest import READERS

    total = 0
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            name = file.name.lower()
            if not any(name.endswith(suffix) for suffix in READERS) or not file.exists():
                continue
            if name.endswith((".jsonl", ".ndjson")):
                with file.open("rb") as stream:
                    total += sum(1 for line in stream if line.strip())
            elif name.endswith(".csv"):
                with file.open("rb") as stream:
                    total += max(0, sum(1 for line in stream if line.strip()) - 1)
            elif name.endswith(".parquet"):
                import pyarrow.parquet as pq

                try:
                    total += pq.ParquetFile(file).metadata.num_rows
                except Exception:  # noqa: BLE001 - the reader reports a broken file properly
                    continue
            elif ".warc" in name:
                return None
            else:
                total += 1
    return total


class _Progress:
    """articles/s and ETA: a rich bar on a terminal, a line every few seconds otherwise."""

    def __init__(self, total: int | None, enabled: bool, stream: TextIO) -> None:
        self.total, self.done, self.enabled, self.stream = total, 0, enabled, stream
        self.started = time.perf_counter()
        self.last_line = self.started
        self._rich: Any = None
        if enabled and stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._rich = Progress(
                TextColumn("analysing"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} articles/s"), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(file=stream), transient=False,
            )
            self._task = self._rich.add_task("run", total=total, rate="-")
            self._rich.start()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, advance=count, rate=f"{self.rate():.1f}")
            return
        now = time.perf_counter()
        if now - self.last_line >= 5:
            self.last_line = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        rate = self.rate()
        text = f"{self.done}" + (f"/{self.total}" if self.total else "") + f" articles, {rate:.1f} articles/s"
        if self.total and rate > 0:
            text += f", ETA {max(0.0, (self.total - self.done) / rate):.0f} s"
        return text

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One run at a time per output folder: two would analyse the same articles."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    with (out / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError(f"another `sourcetrace run` is writing to {out}") from None
        yield


class _InputErrors:
    """Records the run could not read: to `errors.jsonl` as they come, and to the store's `errors` table in
    shards of their own, so that they are queried, counted and shown like every other failure."""

    flush_every = 1000

    def __init__(self, backend: Backend, stream: TextIO) -> None:
        self.backend, self.stream = backend, stream
        self.pending: list[dict[str, Any]] = []

    def add(self, error: InputError) -> None:
        self.stream.write(json.dumps({**error.to_dict(), "kind": "input"}, ensure_ascii=False) + "\n")
        self.pending.append({"article_id": error.record, "source": error.source, "line": error.line,
                             "error": error.message, "kind": "input"})
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.backend.write_task(new_input_errors_id(), {"errors": errors_table(self.pending)})
            self.pending = []


def _articles_to_run(
    inputs: Sequence[str | Path], read_options: Any, done: set[str], summary: RunSummary, errors: _InputErrors
) -> Iterator[ArticleInfo]:
    from sourcetrace.ingest import read_path

    seen: set[str] = set()
    for path in inputs:
        for item in read_path(Path(path), read_options):
            if isinstance(item, InputError):
                summary.input_errors += 1
                errors.add(item)
                continue
            if item.id in seen:  # before the resume check, so that a rerun reports the duplicate again
                summary.input_errors += 1
                source, line = _origin(item)
                errors.add(InputError(source or str(Path(path)), "duplicate article id: the first record is kept",
                                      line=line, record=item.id))
                continue
            seen.add(item.id)
            if item.id in done:
                summary.skipped += 1
                continue
            if input_warnings(item):
                summary.warned += 1
            yield item
    errors.flush()


SETTINGS_FILE = "settings.json"


def _settings_record(options: RunOptions) -> dict[str, Any]:
    """What decides an analysis besides the article: the stages and their settings, as plain JSON."""
    record = {"stages": list(options.stages) if options.stages is not None else None, "config": options.config or {}}
    return json.loads(json.dumps(record, sort_keys=True, default=str))


def _describe_settings(record: dict[str, Any]) -> str:
    stages = "all stages" if record.get("stages") is None else "stages " + (",".join(record["stages"]) or "none")
    config = record.get("config") or {}
    return stages + (", settings " + json.dumps(config, sort_keys=True) if config else ", default settings")


def _check_settings(out: Path, options: RunOptions, done: set[str], allow_mixed: bool) -> None:
    """One corpus, one set of settings: a resume with another profile, config or stage list would store
    articles analysed two ways side by side, so it is refused unless asked for (`--mixed-settings`)."""
    path = out / SETTINGS_FILE
    current = _settings_record(options)
    previous = None
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None  # unreadable: the current settings are written anew below
    if done and previous is not None and previous != current and not allow_mixed:
        raise ConfigurationError(
            f"{out} holds {len(done)} articles analysed with {_describe_settings(previous)}; this run asks for "
            f"{_describe_settings(current)}. Rerun with the same --profile/--config/--stages to resume, write "
            "to another --out folder, or pass --mixed-settings to go on anyway (each analysis's meta.models "
            "says what produced it)"
        )
    path.write_text(json.dumps(current, sort_keys=True, indent=2) + "\n", encoding="utf-8")


def run_corpus(
    inputs: Sequence[str | Path],
    out: str | Path,
    options: RunOptions | None = None,
    engine: str = "pool",
    address: str | None = None,
    read_options: Any = None,
    progress: bool = True,
    log: TextIO | None = None,
    finish: bool = True,
    allow_mixed_settings: bool = False,
) -> RunSummary:
    """Analyse every article of `inputs` not yet stored, then update duplicates, clusters and the database.

    A resume must use the settings the stored articles were analysed with (`settings.json` in `out`), unless
    `allow_mixed_settings`."""
    from sourcetrace.ingest import ReadOptions

    out = Path(out)
    read_options = read_options or ReadOptions()
    options = options or RunOptions(store=str(out))
    log = log or sys.stderr
    summary = RunSummary()
    if engine not in ("pool", "ray"):
        raise ConfigurationError(f"unknown engine {engine!r}: use pool or ray")
    with _exclusive(out):
        backend: Backend = open_backend(options.store)
        backend.prepare()
        backend.clear_input_errors([_input_source(path) for path in inputs])
        done = backend.done_ids()
        _check_settings(out, options, done, allow_mixed_settings)
        estimate = estimate_records(inputs)
        bar = _Progress(None if estimate is None else max(0, estimate - len(done)), progress, log)

        def on_report(report: dict[str, Any]) -> None:
            summary.tasks += 1
            summary.analysed += report["articles"]
            summary.analysis_errors += report["analysis_errors"]
            summary.stage_failures += report["stage_failures"]
            pid = report["pid"]
            summary.peak_rss_mb_by_worker[pid] = max(summary.peak_rss_mb_by_worker.get(pid, 0.0), report["peak_rss_mb"])
            bar.advance(report["articles"] + report["analysis_errors"])

        started = time.perf_counter()
        try:
            with (out / "errors.jsonl").open("w", encoding="utf-8") as errors:
                input_errors = _InputErrors(backend, errors)
                articles = _articles_to_run(inputs, read_options, done, summary, input_errors)
                batches = iter_batches(articles, options.task_size)
                if engine == "ray":
                    from sourcetrace.corpus.engines.ray import run_ray

                    run_ray(batches, options, on_report, address=address)
                else:
                    run_pool(batches, options, on_report)
                summary.seconds = time.perf_counter() - started
                bar.close()
                if finish:
                    finish_run(backend, summary, errors, log if progress else None)
        finally:
            bar.close()
            backend.close()
    return summary


def finish_run(backend: Backend, summary: RunSummary, errors: TextIO, log: TextIO | None) -> None:
    """Corpus-wide steps after the tasks: duplicates, claim clusters, errors file, the DuckDB catalogue."""
    from sourcetrace.corpus.clusters import update_clusters
    from sourcetrace.corpus.dedupe import update_duplicates
    from sourcetrace.corpus.store import CorpusStore

    if log:
        log.write("linking duplicates, clustering claims...\n")
    refresh = getattr(backend, "refresh", None)
    if refresh:
        refresh()
    summary.duplicates = update_duplicates(backend)
    summary.clusters = update_clusters(backend)["clusters"]
    # the file becomes the whole table: this run's input errors and every failure stored before
    errors.seek(0)
    errors.truncate()
    for row in CorpusStore(backend).errors(limit=2**62):
        errors.write(json.dumps({"source": row["source"], "line": row["line"], "record": row["article_id"],
                                 "error": row["error"], "kind": row["kind"], "stage": row["stage"]},
                                ensure_ascii=False) + "\n")
    backend.finish()


def _input_source(path: str | Path) -> str:
    """An input as the readers name it in their errors."""
    return "<stdin>" if str(path) == "-" else str(Path(path))
