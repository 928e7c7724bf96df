"""`sourcetrace evaluate attribution`: the brat reader, the metric, and the command on PolNeAR-format data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.datasets.polnear import GoldAttribution, read_ann, read_gold_dir
from sourcetrace.errors import InputError
from sourcetrace.evaluate.attribution import Scores, extent, score_file
from tests.conftest import POLNEAR, require_shared

TEXT = "Officials said the bridge was closed. \"It will reopen,\" the mayor said, \"next week.\"\n"
# the mayor's quote is discontinuous: two fragments around the cue
ANN = (
    "T1\tSource 0 9\tOfficials\n"
    "T2\tCue 10 14\tsaid\n"
    "T3\tContent 15 36\tthe bridge was closed\n"
    "T4\tAttribution 10 14\tsaid\n"
    "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
    "T5\tSource 56 65\tthe mayor\n"
    "T6\tCue 66 70\tsaid\n"
    "T7\tContent 39 53;73 82\tIt will reopen next week\n"
    "T8\tAttribution 66 70\tsaid\n"
    "E2\tAttribution:T8 Source:T5 Cue:T6 Content:T7\n"
    "#1\tAnnotatorNotes T7\ta note\n"
)


def _gold_dir(tmp_path: Path, ann: str = ANN) -> Path:
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "story.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "attributions" / "story_ab12.ann").write_text(ann, encoding="utf-8")
    (tmp_path / "attributions" / "story_cd34.ann").write_text(ann.split("T5")[0], encoding="utf-8")
    return tmp_path


def test_read_ann_joins_roles_and_fragments(tmp_path):
    gold = read_ann(_gold_dir(tmp_path) / "attributions" / "story_ab12.ann", TEXT)
    assert len(gold) == 2
    assert gold[1].content == [(39, 53), (73, 82)]
    assert [TEXT[s:e] for s, e in gold[1].content] == ["It will reopen", "next week"]
    assert TEXT[slice(*gold[0].source[0])] == "Officials"


def test_bad_offsets_name_file_and_line(tmp_path):
    directory = _gold_dir(tmp_path, ANN.replace("T3\tContent 15 36", "T3\tContent 15 x"))
    with pytest.raises(InputError) as error:
        read_gold_dir(directory)
    assert "story_ab12.ann:3" in str(error.value)


def test_exact_match_trims_punctuation_and_takes_the_extent():
    assert extent(TEXT, [(38, 55), (72, 85)]) == (39, 82)
    assert extent(TEXT, [(14, 15)]) is None


def test_scores_perfect_and_partial_predictions():
    gold = [GoldAttribution(source=[(0, 9)], cue=[(10, 14)], content=[(15, 36)])]
    perfect = Scores()
    score_file(perfect, TEXT, gold, [GoldAttribution(source=[(0, 9)], cue=[(10, 14)], content=[(15, 37)])])
    assert perfect.to_dict()["relation"]["f1"] == 1.0
    partial = Scores()
    score_file(partial, TEXT, gold, [GoldAttribution(source=[(0, 9)], cue=[(10, 14)], content=[(19, 36)])])
    data = partial.to_dict()
    assert data["exact"]["content"]["f1"] == 0.0
    assert data["token"]["content"]["precision"] == 1.0
    assert data["token"]["content"]["recall"] == 0.75  # 3 of the 4 words
    assert data["relation"]["f1"] == 0.0


def test_calibration_counts_scored_attributions_whose_cue_is_gold():
    gold = [GoldAttribution(source=[(0, 9)], cue=[(10, 14)], content=[(15, 36)])]
    scores = Scores()
    predicted = [GoldAttribution(source=[(0, 9)], cue=[(10, 14)], content=[(15, 36)]),   # cue right
                 GoldAttribution(source=[(56, 65)], cue=[(66, 70)], content=[(39, 53)]),  # no gold cue there
                 GoldAttribution(cue=[(66, 70)], content=[(39, 53)])]                     # rule: no score
    score_file(scores, TEXT, gold, predicted, [0.9, 0.4, None])
    calibration = scores.to_dict()["calibration"]
    assert calibration["items"] == 2
    assert calibration["share_true"] == 0.5
    assert calibration["brier"] == pytest.approx((0.1**2 + 0.4**2) / 2)
    assert "calibration" not in Scores().to_dict()  # nothing scored: no report


def test_command_scores_each_annotation_file(tmp_path):
    result = CliRunner().invoke(app, ["evaluate", "attribution", "--gold", str(_gold_dir(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output[result.output.index("{"):])
    assert data["files"] == 2
    # "Officials said the bridge was closed" is found exactly by any working extractor
    assert data["exact"]["source"]["recall"] > 0.5
    assert data["exact"]["cue"]["recall"] > 0.5
    assert data["calibration"]["items"] >= 2  # scored once per annotation file


def test_command_reports_a_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["evaluate", "attribution", "--gold", str(tmp_path)])
    assert result.exit_code == 2
    assert "text/ and attributions/" in result.output


@pytest.mark.slow
def test_on_polnear_dev_sample():
    dev = require_shared(POLNEAR / "dev")
    result = CliRunner().invoke(app, ["evaluate", "attribution", "--gold", str(dev), "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output[result.output.index("{"):])
    assert data["files"] == 3
    assert data["exact"]["cue"]["f1"] > 0.3
    assert data["token"]["content"]["f1"] > 0.4
