"""The speed table (bench/speed.py's JSON) renders into README.md where its markers are."""

from __future__ import annotations

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import readme_tables  # noqa: E402


def test_the_speed_table_shows_before_and_now_for_each_measure():
    speed = readme_tables.load_results()["speed.json"]
    table = readme_tables.speed_table(speed)
    assert "| measure | before | now |" in table
    for measure in ("default: run / bare parse", "fast: peak memory per worker", "cold start", "POST /api/analyze"):
        assert measure in table
    now = speed["trees"]["this"]
    assert f"{now['api']['p50_seconds']:.2f} s" in table


def test_the_speed_table_goes_between_its_markers_only_where_they_are():
    results = readme_tables.load_results()
    readme = (f"{readme_tables.BEGIN}\n{readme_tables.END}\n"
              f"{readme_tables.PERFORMANCE_BEGIN}\n{readme_tables.PERFORMANCE_END}\n")
    with_markers = f"{readme}{readme_tables.SPEED_BEGIN}\nold\n{readme_tables.SPEED_END}\n"
    rendered = readme_tables.readme_with_tables(with_markers, results)
    assert readme_tables.speed_table(results["speed.json"]) in rendered and "\nold\n" not in rendered
    assert readme_tables.SPEED_BEGIN not in readme_tables.readme_with_tables(readme, results)
