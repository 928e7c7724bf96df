"""How a long-lived worker process keeps its resident memory near what it uses."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024


def map_large_blocks() -> None:
    """Serve blocks of 4 MB and more (the parser's and the encoders' working arrays) from their own mappings, which
    go back to the system when freed. glibc otherwise raises this threshold each time such a block is freed, up to
    32 MB, and keeps later ones in the heap: over 96 PolNeAR articles a worker's peak was 1,013-1,015 MB that way
    and 936-950 MB with the threshold fixed, for 1-3% more CPU time. Web workers do without it: one article at a
    time maps and faults in its blocks afresh on every request (`POST /api/analyze` p50 0.38-0.39 s against
    0.30 s)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def release_free_memory() -> None:
    """Hand the memory a task freed back to the system. glibc keeps freed blocks for reuse, so without this a
    worker's resident size stays at its largest task's (a worker over 64 PolNeAR articles in tasks of 16: 1,195 MB
    after the last task, 842 MB with it, for the same outputs)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def freeze_loaded_objects() -> None:
    """Put every object alive now (the loaded models, their vocabularies, tables and lexicons: about 300,000) out
    of the cyclic collector's reach, after collecting what is already garbage. Each full collection walks every
    tracked object, and with the models among them the full collections cost 0.38 s over 100 PolNeAR articles
    with the fast profile (3% of the analysis); with the models frozen, 0.08 s. The models live as long as the
    worker, so nothing is kept that would otherwise be freed."""
    gc.collect()
    gc.freeze()
