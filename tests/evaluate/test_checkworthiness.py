"""The CheckThat! 2024 Task 1 reader and metric, and `sourcetrace evaluate checkworthiness` on the dev file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.errors import InputError
from sourcetrace.evaluate.checkworthiness import positive_class_scores, read_checkworthy_tsv
from tests.conftest import SHARED, require_shared

DEV = SHARED / "data" / "checkworthy" / "CT24_checkworthy_english_dev.tsv"
runner = CliRunner()

# Made-up rows in the task's format (the shared data is never copied into the repository).
ROWS = [
    ("1", "We have created 22 million new jobs since 1993.", "Yes"),
    ("2", "Thank you all for being here tonight.", "No"),
    ("3", "The deficit has tripled to $4.2 trillion under his watch.", "Yes"),
    ("4", "I'd like to say something about that.", "No"),
    ("5", 'He said "unemployment is at 12 percent" in 2019.', "Yes"),
    ("6", "Let me answer the question.", "No"),
]


def write_tsv(path: Path, rows=ROWS, header: str = "Sentence_id\tText\tclass_label") -> Path:  # noqa: ANN001
    path.write_text(header + "\n" + "".join(f"{i}\t{t}\t{label}\n" for i, t, label in rows), encoding="utf-8")
    return path


def test_reader_keeps_bare_quotes_and_labels(tmp_path) -> None:
    rows = read_checkworthy_tsv(write_tsv(tmp_path / "gold.tsv"))
    assert [r.label for r in rows] == [1, 0, 1, 0, 1, 0]
    assert rows[4].text == 'He said "unemployment is at 12 percent" in 2019.'


def test_reader_errors_name_file_and_line(tmp_path) -> None:
    bad = write_tsv(tmp_path / "bad.tsv", [*ROWS[:2], ("9", "A sentence.", "Maybe")])
    with pytest.raises(InputError, match=r"bad\.tsv:4: class_label must be Yes or No"):
        read_checkworthy_tsv(bad)
    with pytest.raises(InputError, match=r"header\.tsv:1: header lacks column\(s\) class_label"):
        read_checkworthy_tsv(write_tsv(tmp_path / "header.tsv", header="Sentence_id\tText\tlabel"))
    result = runner.invoke(app, ["evaluate", "checkworthiness", "--gold", str(bad), "--no-baseline"])
    assert result.exit_code == 2 and "bad.tsv:4" in result.output and "Traceback" not in result.output


def test_positive_class_scores() -> None:
    scores = positive_class_scores([1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0])
    assert (scores.precision, scores.recall, scores.support) == (2 / 3, 2 / 3, 3)
    assert scores.f1 == pytest.approx(2 / 3)
    assert positive_class_scores([0, 0], [0, 0]).f1 == 0.0


def test_evaluate_prints_model_and_baseline_lines(tmp_path) -> None:
    gold = write_tsv(tmp_path / "gold.tsv")
    # other ids than the gold's: the command drops train rows whose id is in the gold file
    train = write_tsv(tmp_path / "train.tsv", [(f"t{n}{i}", t, label) for n in range(3) for i, t, label in ROWS])
    result = runner.invoke(app, ["evaluate", "checkworthiness", "--gold", str(gold), "--train", str(train)])
    assert result.exit_code == 0, result.output
    assert re.search(r"sourcetrace \(.+\)\s+P=\d\.\d{4}\s+R=\d\.\d{4}\s+F1=\d\.\d{4}", result.output)
    assert re.search(r"baseline \(TF-IDF word\+char LR\)\s+P=.*F1=\d\.\d{4}", result.output)
    result = runner.invoke(app, ["evaluate", "checkworthiness", "--gold", str(gold), "--train", str(train), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["sourcetrace"]) == set(report["baseline"]) == {"precision", "recall", "f1", "support"}


@pytest.mark.slow
def test_dev_f1_of_the_shipped_model() -> None:
    dev = require_shared(DEV)
    result = runner.invoke(app, ["evaluate", "checkworthiness", "--gold", str(dev), "--no-baseline"])
    assert result.exit_code == 0, result.output
    f1 = float(re.search(r"sourcetrace .*F1=(\d\.\d+)", result.output).group(1))
    assert f1 >= 0.89, result.output  # the model card says 0.898; a margin for library versions
