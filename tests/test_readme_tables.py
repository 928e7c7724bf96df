"""The README's quality and performance tables are the ones bench/readme_tables.py renders from the JSON."""

from __future__ import annotations

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import readme_tables  # noqa: E402


def test_the_readme_tables_are_generated_from_the_evaluation_and_bench_json():
    readme = readme_tables.README.read_text(encoding="utf-8")
    expected = readme_tables.readme_with_tables(readme, readme_tables.load_results())
    assert readme == expected, "run: python bench/readme_tables.py"


def test_every_result_file_names_the_command_that_makes_it():
    assert sorted(readme_tables.RESULTS) == sorted(p.name for p in readme_tables.RESULTS_DIR.glob("*.json"))
    assert all(command.startswith(("sourcetrace evaluate ", "python bench/")) and command.endswith(" --json")
               for command in readme_tables.RESULTS.values())
