"""A worker process hands the memory it freed back to the system."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sourcetrace.pipeline.memory import freeze_loaded_objects, release_free_memory


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_large_block_goes_back_to_the_system_when_freed_again_and_again():
    """Without the fixed threshold, glibc serves the second 24 MB block from the heap and keeps it after it is
    freed; run in a fresh process, whose malloc settings nothing else has touched."""
    script = (
        "import numpy as np\n"
        "from sourcetrace.pipeline.memory import map_large_blocks\n"
        "def resident():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n"
        "map_large_blocks() if SET else None\n"
        "before = resident()\n"
        "for _ in range(3):\n"
        "    block = np.ones(6 * 2**20, dtype=np.float32)\n"
        "    del block\n"
        "    small = np.ones(2 * 2**20, dtype=np.float32)\n"
        "    del small\n"
        "print(resident() - before)\n"
    )
    grown = {}
    for fixed in (False, True):
        done = subprocess.run([sys.executable, "-c", f"SET = {fixed}\n" + script], capture_output=True, text=True,
                              check=True)
        grown[fixed] = float(done.stdout.split()[-1])
    assert grown[True] < 8 < grown[False], grown


def test_freezing_collects_the_garbage_first_and_keeps_the_living_out_of_later_collections():
    import gc
    import weakref

    class Node:
        pass

    garbage, living = Node(), Node()
    garbage.self = garbage  # a cycle nothing refers to: only the collector frees it
    dead = weakref.ref(garbage)
    del garbage
    frozen_before = gc.get_freeze_count()
    try:
        freeze_loaded_objects()
        assert dead() is None
        assert gc.get_freeze_count() > frozen_before
        assert not any(obj is living for obj in gc.get_objects())  # out of every generation the collector walks
    finally:
        gc.unfreeze()
