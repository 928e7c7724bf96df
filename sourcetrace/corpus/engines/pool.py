"""The default corpus engine: tasks through a pool of worker processes on this machine, each loading the models
once (`init_worker`)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from sourcetrace.analysis import ArticleInfo
from sourcetrace.corpus.backends.base import new_task_id
from sourcetrace.corpus.engines._task import RunOptions, init_worker, process_task


def run_pool(
    batches: Iterable[list[ArticleInfo]], options: RunOptions, on_report: Callable[[dict[str, Any]], None]
) -> None:
    """Tasks through a pool of worker processes (or in this process when workers is 0)."""
    if options.workers <= 0:
        init_worker(options)
        for batch in batches:
            on_report(process_task(new_task_id(), batch))
        return
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
