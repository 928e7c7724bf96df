"""The analysis of the bundled example equals the committed reference, layer for layer (timings left out).

The reference is what `sourcetrace analyze examples/article.txt --published 2022-10-05 --format json` printed.
A change that alters an analysis on purpose writes it again: `SOURCETRACE_WRITE_REFERENCE=1 python -m pytest
tests/test_reference_analysis.py`, and the diff of tests/data/article.reference.json shows what changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from tests.conftest import EXAMPLE_ARTICLE

REFERENCE = Path(__file__).resolve().parent / "data" / "article.reference.json"


def without_timing(analysis: dict) -> dict:
    analysis = json.loads(json.dumps(analysis))
    analysis["meta"].pop("timing", None)
    return analysis


@pytest.mark.slow
def test_example_analysis_equals_the_committed_reference(tmp_path: Path):
    out = tmp_path / "article.json"
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLE_ARTICLE), "--published", "2022-10-05", "--format", "json",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    fresh = without_timing(json.loads(out.read_text(encoding="utf-8")))
    if os.environ.get("SOURCETRACE_WRITE_REFERENCE") == "1":
        REFERENCE.write_text(json.dumps(fresh, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    for layer in sorted(set(reference) | set(fresh)):
        assert fresh.get(layer) == reference.get(layer), f"the {layer!r} layer differs from {REFERENCE.name}"
