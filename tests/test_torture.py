"""A small torture run in the suite: hostile generated texts and a few texts of every shared source through
the default pipeline, with no exception, no failed stage and no invalid span (bench/torture.py runs it all)."""

from __future__ import annotations

import itertools
import sys

import pytest

from tests.conftest import REPO, SHARED, require_shared

sys.path.insert(0, str(REPO / "bench"))
import torture  # noqa: E402


@pytest.mark.slow
def test_hostile_texts_and_every_shared_source_analyse_without_an_exception():
    data = require_shared(SHARED / "data")
    hostile = [(f"hostile/{name}", text) for name, text in torture.hostile_texts(scale=0.03)]
    shared = [item for items in torture.shared_sources(data).values() for item in itertools.islice(items, 2)]
    assert len(shared) == 14
    report = torture.run(iter(hostile + shared), progress=False)
    assert report["exceptions"] == []
    assert report["stage_failures"] == []
    assert report["invalid_spans"] == []
    # the lone surrogates are refused as input, with a clear message; everything else is analysed
    assert [item["id"] for item in report["refused_input"]] == ["hostile/lone_surrogates"]
    assert report["analysed"] == len(hostile) + len(shared) - 1
    assert report["refused_by_limits"] == []
    assert report["slowest"][0]["seconds"] < 60


def test_the_one_megabyte_single_line_is_refused_at_once_by_the_size_limit():
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline

    [analysis] = load_pipeline().analyze_batch([make_article("y" * 1_000_000, id="huge")])
    assert [p.stage for p in analysis.meta.failed_stages] == ["limits"]
    assert "1,000,000 characters, over the limit of 100,000" in analysis.meta.failed_stages[0].reason
    assert analysis.sentences == [] and analysis.meta.timing == []
