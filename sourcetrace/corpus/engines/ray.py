"""The Ray engine: the same tasks as the process pool, carried by Ray actors across one machine or a cluster.

Each actor (`AnalyzeActor`, one CPU) loads the models once, as pool workers do in `init_worker`, and calls the
shared `process_task`, which analyses a batch and writes its shard. The driver streams: it pulls the next batch
from the reader only when fewer than two batches per actor are in flight, so a corpus of any size passes through
a driver whose memory holds a few batches, as with the process pool. Locally, `ray.init` starts (and at the end
stops) a private instance; with `--address` it joins a running cluster, whose nodes must all see the output
folder (or use `--store postgresql://...`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from sourcetrace.analysis import ArticleInfo
from sourcetrace.corpus.backends.base import new_task_id
from sourcetrace.corpus.engines._task import RunOptions, init_worker, process_task
from sourcetrace.errors import ConfigurationError


class AnalyzeActor:
    """Built once per actor (models load here), called once per batch."""

    def __init__(self, options: RunOptions) -> None:
        init_worker(options)

    def analyze(self, task: str, records: list[ArticleInfo]) -> dict[str, Any]:
        return process_task(task, records)


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

    batch_iterator = iter(batches)
    first = next((batch for batch in batch_iterator if batch), None)
    if first is None:
        return  # nothing to analyse: do not start Ray for it
    size = max(1, options.workers)
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=size, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        actor_class = ray.remote(num_cpus=1)(AnalyzeActor)
        actors = [actor_class.remote(options) for _ in range(size)]
        in_flight: dict[Any, int] = {}  # result reference -> index of the actor computing it
        load = [0] * size
        in_flight_limit = 2 * size  # each actor has its next batch queued; bounded so the driver's memory is too

        def collect_one() -> None:
            done, _ = ray.wait(list(in_flight), num_returns=1)
            for reference in done:
                load[in_flight.pop(reference)] -= 1
                on_report(ray.get(reference))

        def submit(batch: list[ArticleInfo]) -> None:
            index = min(range(size), key=load.__getitem__)
            in_flight[actors[index].analyze.remote(new_task_id(), batch)] = index
            load[index] += 1

        submit(first)
        for batch in batch_iterator:
            if not batch:
                continue
            while len(in_flight) >= in_flight_limit:
                collect_one()
            submit(batch)
        while in_flight:
            collect_one()
    finally:
        if started_here:
            ray.shutdown()


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return os.environ.get("SOURCETRACE_NO_RAY") != "1"
