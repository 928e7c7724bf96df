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
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.corpus.backends import Backend, open_backend
from sourcetrace.corpus.backends.base import new_input_errors_id
from sourcetrace.corpus.backends.tables import errors_table
from sourcetrace.corpus.clusters import update_clusters
from sourcetrace.corpus.dedupe import update_duplicates
from sourcetrace.corpus.engines._task import RunOptions, article_origin
from sourcetrace.corpus.engines.pool import run_pool
from sourcetrace.corpus.engines.ray import run_ray
from sourcetrace.corpus.store import CorpusStore
from sourcetrace.errors import ConfigurationError, InputError
from sourcetrace.ingest import READERS, ReadOptions, read_path
from sourcetrace.ingest.common import input_warnings


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
            "articles_per_second": round(self.articles_per_second, 2) if self.analysed else None,
            "peak_rss_mb_per_worker": (round(max(self.peak_rss_mb_by_worker.values()), 1)
                                       if self.peak_rss_mb_by_worker else None),
            "duplicates": self.duplicates, "clusters": self.clusters,
        }


def estimate_records(paths: Sequence[str | Path]) -> int | None:
    """A quick count of the articles in the inputs, for the ETA; None when a format cannot say cheaply."""
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

    def __init__(self, total: int | None, enabled: bool, stream: TextIO, workers: int = 1) -> None:
        self.total, self.done, self.enabled, self.stream = total, 0, enabled, stream
        self.workers = max(1, workers)
        self.first_rate: float | None = None  # from the first task's own analysis time, until a second report
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

        self.first: tuple[float, int] | None = None  # (time, articles done) at the first report

    def rate(self) -> float:
        """Articles per second: from the first report on once there are two (the models' loading time is not
        analysis time), else since the start."""
        now = time.perf_counter()
        if self.first is not None and self.done > self.first[1] and now > self.first[0]:
            return (self.done - self.first[1]) / (now - self.first[0])
        if self.first_rate is not None:
            return self.first_rate
        elapsed = now - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, count: int, seconds: float | None = None) -> None:
        """`count` more articles done; `seconds`: the analysis time of the task that did them (the first task's
        gives the first rate: every worker analyses at about that pace)."""
        first_report = self.first is None
        self.done += count
        if first_report:
            self.first = (time.perf_counter(), self.done)
            if seconds:
                self.first_rate = count / seconds * self.workers
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, advance=count, rate=f"{self.rate():.1f}")
            return
        now = time.perf_counter()
        if first_report or now - self.last_line >= 5:
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
    seen: set[str] = set()
    for path in inputs:
        for item in read_path(Path(path), read_options):
            if isinstance(item, InputError):
                summary.input_errors += 1
                errors.add(item)
                continue
            if item.id in seen:  # before the resume check, so that a rerun reports the duplicate again
                summary.input_errors += 1
                source, line = article_origin(item)
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


def ramped_batches(items: Iterator[Any], task_size: int, workers: int, total: int | None) -> Iterator[list[Any]]:
    """Tasks of 1, 2, 4, ... articles up to `task_size`, so that progress, rate and ETA show from the first
    article on; when the corpus is small, no task is larger than a quarter of a worker's share, so that the
    bar moves in steps of a few articles rather than staying at 0/N until one large task ends."""
    cap = task_size
    if total:
        cap = max(1, min(task_size, -(-total // (4 * max(1, workers)))))
    size = 1
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
            size = min(cap, size * 2)
    if batch:
        yield batch


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
        remaining = None if estimate is None else max(0, estimate - len(done))
        bar = _Progress(remaining, progress, log, workers=options.workers)

        def on_report(report: dict[str, Any]) -> None:
            summary.tasks += 1
            summary.analysed += report["articles"]
            summary.analysis_errors += report["analysis_errors"]
            summary.stage_failures += report["stage_failures"]
            pid = report["pid"]
            summary.peak_rss_mb_by_worker[pid] = max(summary.peak_rss_mb_by_worker.get(pid, 0.0), report["peak_rss_mb"])
            bar.advance(report["articles"] + report["analysis_errors"], report.get("seconds"))

        started = time.perf_counter()
        try:
            with (out / "errors.jsonl").open("w", encoding="utf-8") as errors:
                input_errors = _InputErrors(backend, errors)
                articles = _articles_to_run(inputs, read_options, done, summary, input_errors)
                batches = ramped_batches(articles, options.task_size, options.workers, remaining)
                if engine == "ray":
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
    if log:
        log.write("linking duplicates, clustering claims...\n")
    refresh = getattr(backend, "refresh", None)
    if refresh:
        refresh()
    summary.duplicates = update_duplicates(backend)
    update_clusters(backend)
    # a claim no other article carries leads a cluster of its own: only clusters of 2+ articles count
    summary.clusters = CorpusStore(backend).count_clusters()
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
