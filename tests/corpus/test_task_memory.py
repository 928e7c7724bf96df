"""A corpus worker hands the memory its task freed back to the system."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from sourcetrace.corpus.engines._task import release_free_memory


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_blocks_between_kept_ones_go_back_to_the_system():
    blocks = [np.ones(16_000, dtype=np.float64) for _ in range(3_000)]  # 128 KB each, from the heap, ~370 MB
    kept = blocks[::50]  # every 50th stays: the freed ones between them cannot shrink the heap from its top
    del blocks
    before = resident_mb()
    release_free_memory()
    after = resident_mb()
    assert before - after > 150, (before, after)
    assert all(block[0] == 1.0 for block in kept)
