"""The README's quality table is the one bench/readme_tables.py renders from the committed evaluation JSON."""

from __future__ import annotations

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import readme_tables  # noqa: E402


def test_the_readme_quality_table_is_generated_from_the_evaluation_json():
    readme = readme_tables.README.read_text(encoding="utf-8")
    expected = readme_tables.readme_with_table(readme, readme_tables.quality_table(readme_tables.load_results()))
    assert readme == expected, "run: python bench/readme_tables.py"


def test_every_result_file_names_the_command_that_makes_it():
    assert sorted(readme_tables.RESULTS) == sorted(p.name for p in readme_tables.RESULTS_DIR.glob("*.json"))
    assert all(command.startswith("sourcetrace evaluate ") and command.endswith(" --json")
               for command in readme_tables.RESULTS.values())
