"""Shared fixtures: the real pipeline (loaded once per test session) and the data under ../shared."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_ARTICLE = SHARED / "seed" / "article.txt"
POLNEAR = SHARED / "data" / "polnear"
EXAMPLE_ARTICLE = REPO / "examples" / "article.txt"
IN_CI = os.environ.get("CI") == "true"
# The suite never reads or writes the user's own fact-check store: analyses must not depend on what it holds.
os.environ["SOURCETRACE_FACTCHECK_DB"] = str(Path(tempfile.mkdtemp(prefix="sourcetrace-tests-")) / "factchecks.duckdb")


def require_shared(path: Path) -> Path:
    """The development data under ../shared: in CI its absence fails the test (CI always has it); elsewhere
    the test is skipped with a message."""
    if not path.exists():
        message = f"{path} is absent: the development data in ../shared is not available here"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pipeline():
    from sourcetrace.pipeline.run import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return require_shared(SEED_ARTICLE).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_analysis(seed_text):
    from sourcetrace import analyze

    return analyze(seed_text, id="seed", published="2022-09-13")


@pytest.fixture(scope="session")
def example_analysis():
    from sourcetrace import analyze

    return analyze(EXAMPLE_ARTICLE.read_text(encoding="utf-8"), id="article", published="2022-10-05")
