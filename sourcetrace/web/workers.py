"""Analysis worker processes for the web server: analyses that can be stopped at the time limit.

A Python thread cannot be stopped, so an analysis running past the limit would keep the pipeline busy for every
request after it. Here each analysis runs in one of a few spawned worker processes, each holding its own pipeline
(loaded once, then warmed up on one sentence). A worker still running at the limit is killed and a fresh one starts
loading (a few seconds) while the other workers go on serving.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import signal
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.api import make_article
from sourcetrace.pipeline.memory import freeze_loaded_objects
from sourcetrace.pipeline.run import load_pipeline

log = logging.getLogger("sourcetrace.web")

# The first analysis in a process builds caches (about 1 s); a worker does it before it says it is ready.
WARM_UP_TEXT = "The mayor said on Monday that the bridge over the river would reopen in May."


class WorkerStartError(RuntimeError):
    """A worker process could not load the pipeline (bad settings, missing model): the message says why."""


class PoolBusy(Exception):
    """No worker became free within the wait allowed."""


class AnalysisTimedOut(Exception):
    """The analysis ran past the limit; its worker was killed and is being replaced."""


class AnalysisFailed(RuntimeError):
    """The analysis raised an error in the worker, or the worker process died."""


def worker_main(connection: Connection, stages: tuple[str, ...] | None, config: dict[str, Any] | None) -> None:
    """A worker process: load the pipeline, say ready, then analyse each article received until the pipe closes."""
    # Ctrl-C in a terminal reaches the whole process group; the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pipeline = load_pipeline(stages, config)
        pipeline.analyze(make_article(WARM_UP_TEXT))
        freeze_loaded_objects()
    except BaseException as error:  # noqa: BLE001 - any failure is reported to the server, which names it
        _send(connection, ("failed", f"{type(error).__name__}: {error}"))
        return
    if not _send(connection, ("ready", None)):
        return
    while True:
        try:
            article = connection.recv()
        except (EOFError, OSError):
            return  # the server closed its end: it stopped, or gave this worker up
        try:
            reply: tuple[str, Any] = ("ok", pipeline.analyze(article))
        except Exception as error:  # noqa: BLE001 - sent back as text: exception classes may not unpickle
            reply = ("error", f"{type(error).__name__}: {error}")
        if not _send(connection, reply):
            return


def _send(connection: Connection, message: tuple[str, Any]) -> bool:
    """False when the server is gone (its end of the pipe closed), so the worker just ends."""
    try:
        connection.send(message)
    except (BrokenPipeError, EOFError, OSError):
        return False
    return True


@dataclass(eq=False)
class Worker:
    process: Any  # multiprocessing.process.BaseProcess
    connection: Connection
    loaded: bool = False  # the pipeline is loaded and warmed up
    pending_recv: Future | None = field(default=None)  # the reader thread still blocked on this worker's pipe


class WorkerPool:
    """`size` worker processes; `analyze` hands an article to a free one, waiting in line for one if none is."""

    def __init__(self, size: int, stages: tuple[str, ...] | None = None,
                 config: dict[str, dict[str, Any]] | None = None) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.stages = stages
        self.config = config
        # spawn: a fork would copy the server's threads and open files into the child
        self._context = multiprocessing.get_context("spawn")
        # Pipe reads and writes block, so they run on threads: one reader and one writer per worker at most.
        self._io = ThreadPoolExecutor(max_workers=2 * size + 2, thread_name_prefix="sourcetrace-worker-io")
        self._workers: set[Worker] = set()
        self._idle: list[Worker] = []
        self._waiters: collections.deque[asyncio.Future[Worker]] = collections.deque()
        self._replacements: set[asyncio.Task[None]] = set()  # workers loading to replace killed ones
        self._closed = True
        self.replaced = 0  # workers killed at the time limit (or found dead) and started afresh

    @property
    def ready(self) -> int:
        """Workers loaded and alive, busy or idle (the rest are loading)."""
        return sum(worker.loaded for worker in self._workers)

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def start(self) -> None:
        """Start every worker and wait until all have loaded the pipeline (they load side by side)."""
        if self._io._shutdown:  # started again after close (tests, embedding servers)
            self._io = ThreadPoolExecutor(max_workers=2 * self.size + 2, thread_name_prefix="sourcetrace-worker-io")
        self._closed = False
        self._idle, self._waiters, self._replacements = [], collections.deque(), set()
        started = await asyncio.gather(*(self._start_worker() for _ in range(self.size)), return_exceptions=True)
        failures = [result for result in started if isinstance(result, BaseException)]
        if failures:
            self.close()
            raise failures[0]
        for worker in started:
            self._release(worker)

    async def analyze(self, article: ArticleInfo, timeout_s: float, wait_s: float) -> Analysis:
        """The analysis from a free worker. PoolBusy when none is free within `wait_s`; AnalysisTimedOut (the
        worker killed and replaced) when it runs past `timeout_s`; AnalysisFailed when it raises or dies."""
        worker = await self._acquire(wait_s)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._io, worker.connection.send, article)
            worker.pending_recv = self._io.submit(worker.connection.recv)
            # at the limit only the wait is cancelled; the reader thread ends once the killed worker's pipe closes
            reply = await asyncio.wait_for(asyncio.wrap_future(worker.pending_recv), timeout_s)
        except asyncio.TimeoutError:
            self._replace(worker)
            raise AnalysisTimedOut from None
        except (EOFError, OSError) as error:
            await loop.run_in_executor(self._io, worker.process.join, 5)
            self._replace(worker)
            raise AnalysisFailed(f"the analysis worker stopped unexpectedly (exit code "
                                 f"{worker.process.exitcode}): {type(error).__name__}") from None
        except BaseException:  # cancelled mid-analysis: the worker's state is unknown, so it is not reused
            self._replace(worker)
            raise
        worker.pending_recv = None
        self._release(worker)
        kind, payload = reply
        if kind == "ok":
            return payload
        raise AnalysisFailed(f"the analysis failed: {payload}")

    def close(self) -> None:
        """Kill every worker (they hold no state worth keeping) and stop the pipe threads."""
        self._closed = True
        for task in list(self._replacements):
            task.cancel()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        for worker in list(self._workers):
            self._stop(worker)
        self._idle = []
        self._io.shutdown(wait=False)  # the queued reaps still run; the killed workers' readers see EOF

    # ---------------------------------------------------------------------------------------------- internals

    async def _start_worker(self) -> Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=worker_main, args=(child_end, self.stages, self.config),
                                        name="sourcetrace-analysis-worker", daemon=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._io, process.start)
        child_end.close()  # the child holds its own copy: when the child dies, reads here see EOF
        worker = Worker(process, parent_end)
        self._workers.add(worker)
        try:
            kind, message = await loop.run_in_executor(self._io, parent_end.recv)
        except (EOFError, OSError):
            await loop.run_in_executor(self._io, process.join, 5)  # reaped, so that its exit code is known
            kind, message = "failed", f"the worker process exited with code {process.exitcode} while loading"
        except BaseException:
            self._stop(worker)
            raise
        if kind != "ready":
            self._stop(worker)
            raise WorkerStartError(f"an analysis worker could not load the pipeline: {message}")
        worker.loaded = True
        return worker

    async def _acquire(self, wait_s: float) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            self._replace(worker)  # died while idle (killed from outside, out of memory)
        waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            # shielded, so that a timeout cancels only this wait, never the hand-over itself
            return await asyncio.wait_for(asyncio.shield(waiter), wait_s)
        except asyncio.TimeoutError:
            self._give_up(waiter)
            raise PoolBusy from None
        except BaseException:
            self._give_up(waiter)
            raise

    def _give_up(self, waiter: asyncio.Future[Worker]) -> None:
        if waiter.done() and not waiter.cancelled():
            self._release(waiter.result())  # handed over just as its request gave up: pass it on
        else:
            waiter.cancel()

    def _release(self, worker: Worker) -> None:
        """A free worker goes to the request that has waited longest, else to the idle list."""
        if self._closed:
            self._stop(worker)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def _replace(self, worker: Worker) -> None:
        self._stop(worker)
        if self._closed:
            return
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._start_replacement())
        self._replacements.add(task)
        task.add_done_callback(self._replacements.discard)

    async def _start_replacement(self) -> None:
        delay = 1.0
        while not self._closed:
            try:
                worker = await self._start_worker()
            except WorkerStartError as error:  # it loaded before, so this is likely passing (memory); retry
                log.error("%s; trying again in %g s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            self._release(worker)
            return

    def _stop(self, worker: Worker) -> None:
        """Kill the process now; reap it and close the pipe on a thread, once its reader has seen EOF."""
        self._workers.discard(worker)
        if worker.process.is_alive():
            worker.process.kill()

        def reap() -> None:
            worker.process.join(10)
            if worker.pending_recv is not None:
                wait_futures([worker.pending_recv], timeout=10)
            worker.connection.close()

        try:
            self._io.submit(reap)
        except RuntimeError:  # the thread pool is shut down: reap here
            reap()
