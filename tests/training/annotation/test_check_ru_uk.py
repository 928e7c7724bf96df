"""The Russian/Ukrainian attribution development set stays valid against the texts it annotates."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, SHARED, require_shared

CHECKER = REPO / "training" / "annotation" / "check_ru_uk.py"
DEV_SET = REPO / "tests" / "data" / "attribution_ru_uk"


def test_every_annotation_file_is_valid() -> None:
    data = require_shared(SHARED / "data" / "semeval23" / "ru")
    result = subprocess.run([sys.executable, str(CHECKER), "--data", str(data.parents[1])],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "30 of 30 files valid" in result.stdout


def test_the_checker_finds_a_span_that_cuts_a_word(tmp_path) -> None:
    data = require_shared(SHARED / "data" / "semeval23" / "ru")
    source = sorted(DEV_SET.glob("semeval23-ru-*.json"))[0]
    document = json.loads(source.read_text(encoding="utf-8"))
    start, end = document["attributions"][0]["content"]
    document["attributions"][0]["content"] = [start + 1, end]
    (tmp_path / source.name).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(CHECKER), "--data", str(data.parents[1]), "--dir", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert source.name in result.stdout
