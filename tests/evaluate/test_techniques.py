"""The SemEval-2020 span metric, technique matching, and the `evaluate techniques` command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sourcetrace.evaluate.techniques import (
    calibration,
    evaluate,
    merge_spans,
    sentence_baseline,
    span_prf,
    technique_scores,
)
from tests.conftest import SHARED, require_shared

PTC = SHARED / "data" / "ptc"


def test_merge_spans():
    assert merge_spans([(10, 20), (0, 5), (15, 30), (30, 40)]) == [(0, 5), (10, 30), (30, 40)]


def test_span_prf_partial_overlap():
    # gold [0,10) and [5,20) merge to [0,20); prediction [10,30) overlaps it by 10 characters
    p, r, f = span_prf({"a": [(10, 30)]}, {"a": [(0, 10), (5, 20)]})
    assert p == pytest.approx(10 / 20)
    assert r == pytest.approx(10 / 20)
    assert f == pytest.approx(0.5)
    # two predictions, one gold span: P averages over predictions, R sums coverage of the gold span
    p, r, _ = span_prf({"a": [(0, 4), (6, 10)], "b": [(0, 3)]}, {"a": [(0, 10)]})
    assert p == pytest.approx((1 + 1 + 0) / 3)
    assert r == pytest.approx(8 / 10)
    assert span_prf({}, {"a": [(0, 1)]}) == (0.0, 0.0, 0.0)


def test_technique_scores_match_one_to_one_and_accept_merged_classes():
    gold = {"a": [("Loaded_Language", 0, 10), ("Bandwagon,Reductio_ad_hitlerum", 20, 40), ("Doubt", 50, 60)]}
    predicted = {"a": [("Loaded_Language", 0, 8), ("Guilt_by_Association", 22, 40), ("Slogans", 52, 60),
                       ("Loaded_Language", 70, 80)]}
    scores = technique_scores(predicted, gold)
    assert scores["matched"] == 3 and scores["correct"] == 2
    assert scores["micro_f1"] == pytest.approx(2 / 3)
    assert scores["end_to_end"]["precision"] == pytest.approx(2 / 4)
    assert scores["end_to_end"]["recall"] == pytest.approx(2 / 3)
    assert scores["per_technique"]["Slogans"]["precision"] == 0.0
    assert scores["per_technique"]["Doubt"]["recall"] == 0.0
    assert scores["per_technique"]["Loaded_Language"]["f1"] == 1.0


def test_calibration_checks_the_technique_not_just_the_span():
    gold = {"a": [("Loaded_Language", 0, 10), ("Doubt", 50, 60)]}
    scored = {"a": [("Loaded_Language", 2, 8, 0.9),    # right technique, overlapping: correct
                    ("Slogans", 50, 60, 0.45),         # overlaps gold of another technique: wrong
                    ("Loaded_Language", 70, 80, 0.05)]}  # no gold there: wrong
    result = calibration(scored, gold)
    assert result["items"] == 3
    assert result["share_true"] == pytest.approx(1 / 3)
    assert result["brier"] == pytest.approx((0.1**2 + 0.45**2 + 0.05**2) / 3)
    # three occupied bins, each off by |score - outcome|, weighted by 1/3
    assert result["ece"] == pytest.approx((0.1 + 0.45 + 0.05) / 3)
    assert [row["items"] for row in result["reliability"]] == [1, 1, 1]
    assert result["reliability"][-1]["low"] == pytest.approx(0.9)
    assert calibration({}, gold)["items"] == 0


def _write_corpus(folder):
    articles = folder / "articles"
    articles.mkdir()
    (articles / "article1.txt").write_text("They are traitors.\n\nThe vote is on Monday.\n", encoding="utf-8")
    (articles / "article2.txt").write_text("A disaster, a total catastrophe!\n", encoding="utf-8")
    gold = folder / "gold.labels"
    gold.write_text("1\tName_Calling,Labeling\t9\t17\n2\tLoaded_Language\t2\t10\n2\tExaggeration,Minimisation\t12\t31\n",
                    encoding="utf-8")
    return articles, gold


def test_evaluate_command_scores_a_predictions_file(tmp_path):
    from sourcetrace.cli import app

    articles, gold = _write_corpus(tmp_path)
    predicted = tmp_path / "pred.labels"
    predicted.write_text("1\tName_Calling-Labeling\t9\t17\n2\tLoaded_Language\t12\t31\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "techniques", "--articles", str(articles), "--labels", str(gold),
                                      "--predictions", str(predicted), "--baseline"])
    assert result.exit_code == 0, result.output
    assert "2 articles, 3 gold technique labels" in result.output
    # spans: both predictions lie inside gold (P = 1); gold coverage 1 + 0 + 1 over 3 spans
    assert "P 1.0000  R 0.6667  F1 0.8000" in result.output
    assert "technique micro-F1 over 2 spans matched to gold: 0.5000" in result.output
    assert "baseline_every_sentence" in result.output


def test_evaluate_command_runs_the_model_and_reports_calibration(tmp_path):
    import json

    from sourcetrace.cli import app

    articles, gold = _write_corpus(tmp_path)
    result = CliRunner().invoke(app, ["evaluate", "techniques", "--articles", str(articles), "--labels", str(gold),
                                      "--json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)["sourcetrace"]  # stdout alone: a first run says on stderr it builds the encoder
    cal = model["calibration"]
    assert cal["items"] == sum(row["items"] for row in cal["reliability"])
    assert cal["items"] >= 1  # "traitors", "a total catastrophe!" are loaded
    assert 0.0 <= cal["ece"] <= 1.0 and 0.0 <= cal["brier"] <= 1.0


def test_bad_labels_line_is_one_clear_error(tmp_path):
    from sourcetrace.cli import app

    articles, gold = _write_corpus(tmp_path)
    gold.write_text("1\tLoaded_Language\t9\t17\n1\tLoaded_Language\tnine\t17\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "techniques", "--articles", str(articles), "--labels", str(gold),
                                      "--predictions", str(gold)])
    assert result.exit_code == 2
    assert f"{gold}:2: start and end must be integers" in result.output
    assert "Traceback" not in result.output


def test_every_sentence_baseline_on_heldout_ptc():
    from sourcetrace.datasets.ptc import heldout_ids, read_articles, read_labels

    require_shared(PTC)
    held = heldout_ids()
    assert len(held) == 60
    articles = {k: v for k, v in read_articles(PTC / "train-articles").items() if k in held}
    labels = read_labels(PTC / "train-labels-task2-technique-classification")
    result = evaluate(sentence_baseline(articles), {k: labels.get(k, []) for k in articles})
    assert result["span"]["recall"] > 0.9  # sentences cover nearly every gold span
    assert 0.05 < result["span"]["precision"] < 0.35


def test_evaluate_techniques_unlp_command_on_a_tiny_corpus(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sourcetrace.cli import app

    loaded = ("Кривавий кремлівський режим знову кидає на забій тисячі своїх рабів, а ці нелюди ще й хизуються "
              "своїми звірствами! Орки тікають.")
    plain = "В среду в Минске прошла выставка сельскохозяйственной техники. Её посетили около двух тысяч человек."
    (tmp_path / "span_detection").mkdir()
    pq.write_table(pa.table({
        "id": ["a", "b", "c"], "content": [loaded, plain, plain], "lang": ["uk", "ru", "ru"],
        "manipulative": [True, False, False], "techniques": [["loaded_language"], None, None],
        "trigger_words": [[[0, 26]], None, None],
    }), tmp_path / "span_detection" / "train.parquet")
    (tmp_path / "ids.txt").write_text("# two of three\na\nb\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "techniques-unlp", "--data", str(tmp_path),
                                      "--ids", str(tmp_path / "ids.txt"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["posts"] == 2
    assert scores["model"]["techniques"]["per_technique"]["loaded_language"] == 1.0
    assert scores["model"]["spans"]["recall"] == 1.0  # the whole of [0, 26) is inside a predicted span
    assert scores["baseline_whole_post_one_span"]["spans"]["precision"] == pytest.approx(
        26 / (len(loaded) + len(plain)), abs=1e-4)
    missing = CliRunner().invoke(app, ["evaluate", "techniques-unlp", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_evaluate_command_scores_another_model_and_cut(tmp_path):
    import json

    from sourcetrace.cli import app

    articles, gold = _write_corpus(tmp_path)
    base = ["evaluate", "techniques", "--articles", str(articles), "--labels", str(gold), "--json"]

    def model_spans(*options: str) -> int:
        result = CliRunner().invoke(app, base + list(options))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["sourcetrace"]["calibration"]["items"]

    assert model_spans("--model-dir", "techniques_minilm") >= 1  # the MiniLM model also finds "traitors"
    assert model_spans("--min-score", "0.99") == 0  # no span is that sure
    result = CliRunner().invoke(app, base + ["--model-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "nowhere" in result.output and "Traceback" not in result.output


def test_span_f1_with_the_right_technique_credits_only_overlap_with_its_own_technique():
    from sourcetrace.evaluate.techniques import labelled_span_prf, shown_precision

    gold = {"a": [("Loaded_Language", 0, 10), ("Doubt", 20, 30)]}
    right = {"a": [("Loaded_Language", 0, 10), ("Doubt", 25, 30)]}
    assert labelled_span_prf(right, gold) == pytest.approx((1.0, 0.75, 2 * 0.75 / 1.75))
    wrong = {"a": [("Doubt", 0, 10), ("Loaded_Language", 20, 30)]}  # the same spans, techniques swapped
    assert labelled_span_prf(wrong, gold) == (0.0, 0.0, 0.0)
    assert span_prf({"a": [(0, 10), (20, 30)]}, {"a": [(0, 10), (20, 30)]})[2] == 1.0
    assert shown_precision(right, gold) == 1.0 and shown_precision(wrong, gold) == 0.0
    assert labelled_span_prf({"a": [("Name_Calling-Labeling", 0, 5)]},
                             {"a": [("Name_Calling,Labeling", 0, 10)]}) == pytest.approx((1.0, 0.5, 2 / 3))


def test_evaluate_command_reads_a_semeval_2023_folder(tmp_path):
    import json

    from sourcetrace.cli import app

    (tmp_path / "articles").mkdir()
    (tmp_path / "spans").mkdir()
    (tmp_path / "articles" / "article7.txt").write_text("They are traitors.\nThe vote is on Monday.\n",
                                                         encoding="utf-8")
    (tmp_path / "spans" / "article7-labels-subtask-3.txt").write_text("7\tName_Calling-Labeling\t9\t17\n",
                                                                     encoding="utf-8")
    predicted = tmp_path / "pred.labels"
    predicted.write_text("7\tLoaded_Language\t9\t17\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "techniques", "--gold", str(tmp_path), "--predictions",
                                      str(predicted), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["predictions"]["span"]["f1"] == 1.0
    assert scores["predictions"]["labelled_span"]["f1"] == 0.0
    assert scores["predictions"]["spans_per_1000_words"] == pytest.approx(1000 / 8)
    # the every-line baseline: two lines, one holding the gold span
    assert scores["baseline_every_sentence"]["span"]["recall"] == 1.0
    missing = CliRunner().invoke(app, ["evaluate", "techniques", "--gold", str(tmp_path / "articles")])
    assert missing.exit_code == 2 and "not a SemEval-2023 folder" in missing.output


def test_semeval23_english_and_russian_folders_read_with_offsets_inside_their_texts():
    from sourcetrace.datasets.semeval23 import read_semeval23

    for language, articles, spans in (("en", 371, 6136), ("ru", 143, 3399)):
        texts, gold = read_semeval23(require_shared(SHARED / "data" / "semeval23" / language))
        assert (len(texts), sum(map(len, gold.values()))) == (articles, spans)
        assert all(0 <= s < e <= len(texts[i]) for i, found in gold.items() for _, s, e in found)
