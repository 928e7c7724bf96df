"""The Ray engine: the same tasks as the process pool, carried by Ray Data across one machine or a cluster.

Batches of records become a Ray Dataset; `map_batches` hands each batch to `AnalyzeTask`, a class whose
actors load the models once (as pool workers do in `init_worker`) and call the shared `process_task`, which
analyses the batch and writes its shard. The actor pool is kept below the CPU count so that Ray can still
schedule the read and split tasks. Locally, `ray.init` starts (and at the end stops) a private instance;
with `--address` it joins a running cluster, whose nodes must all see the output folder (or use
`--store postgresql://...`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from sourcetrace.corpus.runner import RunOptions, init_worker, process_task
from sourcetrace.corpus.store import new_task_id
from sourcetrace.errors import ConfigurationError
from sourcetrace.model import ArticleInfo


class AnalyzeTask:
    """A Ray Data callable class: built once per actor (models load here), called once per batch."""

    def __init__(self, options: RunOptions) -> None:
        init_worker(options)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        records = [ArticleInfo.model_validate_json(raw) for raw in batch["record"]]
        report = process_task(new_task_id(), records)
        return {key: [value] for key, value in report.items()}


def run_ray(
    batches: Iterable[list[ArticleInfo]],
    options: RunOptions,
    on_report: Callable[[dict[str, Any]], None],
    address: str | None = None,
) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigurationError("--engine ray needs Ray: pip install 'sourcetrace[ray]'") from None

    records = [article.model_dump_json() for batch in batches for article in batch]
    if not records:
        return
    actors = max(1, options.workers)
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            # One CPU more than actors: reads and splits need a slot too, or the actor pool starves them.
            ray.init(num_cpus=actors + 1, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        dataset = ray.data.from_items([{"record": record} for record in records],
                                      override_num_blocks=max(1, min(len(records) // options.task_size, 4 * actors)))
        results = dataset.map_batches(
            AnalyzeTask,
            fn_constructor_kwargs={"options": options},
            batch_size=options.task_size,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            batch_format="numpy",
        )
        for row in results.iter_rows():
            on_report({key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()})
    finally:
        if started_here:
            ray.shutdown()


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return os.environ.get("SOURCETRACE_NO_RAY") != "1"
