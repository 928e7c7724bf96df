"""The FNC-1 reader, the stance metrics, and `sourcetrace evaluate stance` (on made-up files and on the shared
FNC-1 train files' validation part)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.datasets.fnc1 import StancePair, read_bodies, read_stances, split_by_body
from sourcetrace.errors import InputError
from sourcetrace.evaluate.stance import fnc1_score, score_stances
from tests.conftest import SHARED, require_shared

FNC1 = SHARED / "data" / "stance" / "fnc1"
runner = CliRunner()

# Made-up rows in FNC-1's format (the shared data is never copied into the repository).
BODIES = {
    "7": 'Officials said on Monday that the bridge had collapsed. "Nobody was hurt," a spokesman said.\n\n'
         "Engineers are inspecting the rest of the span.",
    "9": "The video of a shark swimming on a flooded highway is a hoax, experts say. The image was edited.",
    "12": "The city council voted to plant 500 trees along the river next spring.",
}
STANCE_ROWS = [
    ("Bridge collapses in the city centre", "7", "agree"),
    ("Shark swims on flooded highway", "9", "disagree"),
    ("Shark swims on flooded highway", "12", "unrelated"),
    ("Council votes on new trees, reports say", "12", "discuss"),
    ("Bridge collapses in the city centre", "9", "unrelated"),
]


def write_files(folder: Path, rows=STANCE_ROWS, bodies=BODIES) -> tuple[Path, Path]:  # noqa: ANN001
    import csv

    stances, body_file = folder / "stances.csv", folder / "bodies.csv"
    with stances.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Headline", "Body ID", "Stance"])
        writer.writerows(rows)
    with body_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Body ID", "articleBody"])
        writer.writerows(bodies.items())
    return stances, body_file


def test_reader_keeps_multiline_quoted_bodies(tmp_path) -> None:
    stances, bodies = write_files(tmp_path)
    pairs = read_stances(stances)
    assert pairs[0] == StancePair("Bridge collapses in the city centre", "7", "agree")
    assert [pair.stance for pair in pairs] == ["agree", "disagree", "unrelated", "discuss", "unrelated"]
    assert read_bodies(bodies)["7"] == BODIES["7"]


def test_reader_errors_name_file_and_line(tmp_path) -> None:
    stances, _ = write_files(tmp_path, rows=[*STANCE_ROWS[:2], ("A headline", "7", "maybe")])
    with pytest.raises(InputError, match=r"stances\.csv:4: Stance must be one of"):
        read_stances(stances)
    header_only = tmp_path / "header.csv"
    header_only.write_text("Headline,Body\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"header\.csv:1: header lacks column\(s\) Body ID"):
        read_stances(header_only)


def test_split_by_body_is_disjoint_and_fixed() -> None:
    pairs = [StancePair(f"headline {i % 7}", str(i % 50), "unrelated") for i in range(200)]
    train, validation = split_by_body(pairs, 0.2, seed=0)
    assert not train & validation and len(train | validation) == 50 and len(validation) == 10
    assert split_by_body(pairs, 0.2, seed=0) == (train, validation)
    assert split_by_body(pairs, 0.2, seed=1) != (train, validation)


def test_fnc1_score_weights() -> None:
    # unrelated right 0.25; related exact 1.0; related with the wrong related label 0.25; related <-> unrelated 0
    assert fnc1_score(["unrelated"], ["unrelated"]) == 0.25
    assert fnc1_score(["agree"], ["agree"]) == 1.0
    assert fnc1_score(["agree"], ["discuss"]) == 0.25
    assert fnc1_score(["agree", "unrelated"], ["unrelated", "disagree"]) == 0.0
    scores = score_stances(["agree", "discuss", "unrelated", "unrelated"], ["agree", "agree", "unrelated", "agree"])
    assert scores.max_weighted_score == 2.5 and scores.weighted_score == 1.5
    assert scores.per_class["agree"]["precision"] == pytest.approx(1 / 3)
    assert scores.per_class["unrelated"]["f1"] == pytest.approx(2 / 3)
    assert scores.per_class["disagree"]["f1"] == 0.0  # no gold and no prediction: 0, as in scikit-learn
    assert scores.macro_f1 == pytest.approx((0.5 + 0 + 0 + 2 / 3) / 4)
    perfect = score_stances(["agree", "disagree", "discuss", "unrelated"], ["agree", "disagree", "discuss",
                                                                           "unrelated"])
    assert perfect.relative_score == 1.0 and perfect.macro_f1 == 1.0


def test_evaluate_stance_json_on_made_up_files(tmp_path) -> None:
    stances, bodies = write_files(tmp_path)
    result = runner.invoke(app, ["evaluate", "stance", "--stances", str(stances), "--bodies", str(bodies), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["pairs"] == 5 and scores["max_weighted_score"] == 3.5
    assert 0 <= scores["weighted_score"] <= 3.5 and 0 <= scores["macro_f1"] <= 1
    assert set(scores["per_class"]) == {"agree", "disagree", "discuss", "unrelated"}
    text = runner.invoke(app, ["evaluate", "stance", "--stances", str(stances), "--bodies", str(bodies)])
    assert text.exit_code == 0 and "FNC-1 weighted score" in text.output and "macro-F1" in text.output


def test_evaluate_stance_input_errors_exit_2(tmp_path) -> None:
    stances, bodies = write_files(tmp_path, bodies={"7": BODIES["7"]})
    result = runner.invoke(app, ["evaluate", "stance", "--stances", str(stances), "--bodies", str(bodies)])
    assert result.exit_code == 2 and "Body ID(s) absent from the bodies file: 12, 9" in result.output
    assert "Traceback" not in result.output


def test_evaluate_stance_on_the_fnc1_validation_part() -> None:
    """The packaged model on the bodies it was not trained on (the FNC-1 train files' validation part)."""
    stances = require_shared(FNC1 / "train_stances.csv")
    bodies = require_shared(FNC1 / "train_bodies.csv")
    result = runner.invoke(app, ["evaluate", "stance", "--stances", str(stances), "--bodies", str(bodies),
                                 "--validation-only", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    meta = json.loads((Path(__file__).resolve().parents[2] / "sourcetrace" / "data" / "models" / "stance" /
                       "meta.json").read_text(encoding="utf-8"))
    # the numbers the model card reports, within what the int8 embedder's thread count may move
    assert scores["pairs"] == meta["validation"]["pairs"]
    assert scores["macro_f1"] == pytest.approx(meta["validation"]["macro_f1"], abs=0.005)
    assert scores["relative_score"] == pytest.approx(meta["validation"]["relative_score"], abs=0.005)
