"""The stage in docs/extending.md runs as written, in under 50 lines, and its settings are checked."""

from __future__ import annotations

import re

import pytest

from sourcetrace.errors import ConfigurationError
from tests.conftest import REPO


def code_blocks() -> list[str]:
    text = (REPO / "docs" / "extending.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_documented_stage_is_under_50_lines_and_runs():
    stage_code, usage = code_blocks()
    assert len(stage_code.strip().splitlines()) < 50
    namespace: dict = {"__name__": "docs_extending_stage"}
    exec(compile(stage_code, "docs/extending.md", "exec"), namespace)  # noqa: S102 - the repository's own doc
    usage_namespace: dict = {}
    exec(compile(usage.replace("print(", "found = ("), "docs/extending.md", "exec"), usage_namespace)  # noqa: S102
    assert usage_namespace["found"] == ["NEVER"]

    from sourcetrace.pipeline.run import Pipeline

    with pytest.raises(ConfigurationError, match="stage 'shouting': unknown option 'min_letter'"):
        Pipeline(["backbone", "shouting"], {"shouting": {"min_letter": 5}})
    with pytest.raises(ConfigurationError, match="'shouting' needs 'backbone'"):
        Pipeline(["shouting", "backbone"])
