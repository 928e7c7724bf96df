"""The cross-validation folds the technique model's decoding, classifier C and calibration are chosen on."""

from __future__ import annotations

from training.techniques.train import FOLDS, OperatingPoint, choose_operating_point, fold_ids


def test_folds_partition_the_training_articles_the_same_way_every_time():
    training = [str(111111111 + n) for n in range(43)]
    folds = fold_ids(training, seed=13)
    assert len(folds) == FOLDS
    assert sorted(i for fold in folds for i in fold) == sorted(training)  # every article in exactly one fold
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    assert fold_ids(list(reversed(training)), seed=13) == folds  # input order does not matter
    assert fold_ids(training, seed=14) != folds


def test_classifier_fit_on_used_columns_equals_a_fit_on_all_columns():
    import numpy as np
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    from training.techniques.train import _fit_on_used_columns

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(60, 4))
    words = scipy.sparse.random(60, 500, density=0.01, random_state=1, format="csr")  # most columns empty
    features = scipy.sparse.hstack([scipy.sparse.csr_matrix(dense), words]).tocsr()
    targets = (dense[:, 0] + rng.normal(scale=0.5, size=60) > 0).astype(int) + (dense[:, 1] > 1)
    full = LogisticRegression(C=0.5, max_iter=3000, tol=1e-8).fit(features, targets)
    used = _fit_on_used_columns(LogisticRegression(C=0.5, max_iter=3000, tol=1e-8), features, targets)
    assert used.coef_.shape == full.coef_.shape
    assert np.allclose(used.coef_, full.coef_, atol=1e-4)
    assert (used.predict(features) == full.predict(features)).all()


def test_keeping_a_tagger_trained_on_an_exported_encoder_needs_that_encoder(tmp_path, capsys):
    import shutil

    import pytest

    from sourcetrace.stages.techniques.encoder import MODEL_DIR
    from training.techniques.train import main

    model = tmp_path / "techniques"
    shutil.copytree(MODEL_DIR, model)
    assert '"encoder_graph": "encoder_graph.onnx"' in (model / "meta.json").read_text()  # the shipped model's
    before = {f.name: f.read_bytes() for f in model.iterdir()}
    with pytest.raises(SystemExit):
        main(["--keep-tagger", "--ptc", str(tmp_path / "ptc"), "--out", str(model), "--cache", str(tmp_path / "cache")])
    assert "the kept tagger reads encoder_graph.onnx; pass it as --encoder-file" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in model.iterdir()} == before  # nothing overwritten


def test_operating_point_is_the_best_span_f1_above_the_micro_floor():
    # rows of the ptc-mpnet-9 training log (threshold, seed, cut, span F1, micro-F1, end-to-end F1)
    points = [OperatingPoint(0.25, 0.3, 0.07, 0.4468, 0.5710, 0.2647),  # best span F1, micro under the floor
              OperatingPoint(0.25, 0.3, 0.10, 0.4442, 0.5841, 0.2761),
              OperatingPoint(0.3, 0.3, 0.08, 0.4422, 0.5887, 0.2764),
              OperatingPoint(0.3, 0.3, 0.17, 0.4158, 0.6402, 0.2973)]  # best end to end
    assert choose_operating_point(points, micro_floor=0.58).cut == 0.10
    # within the tie margin the higher micro-F1 wins
    assert choose_operating_point(points, micro_floor=0.58, tie=0.003).threshold == 0.3
    assert choose_operating_point(points, micro_floor=0.5).cut == 0.07
    # no point reaches the floor: the closest to it
    assert choose_operating_point(points, micro_floor=0.7).cut == 0.17


def test_2023_techniques_fall_into_the_ptc_class_that_merged_them():
    from training.techniques.train import PTC_CLASSES, to_2020

    assert len(PTC_CLASSES) == 14 and PTC_CLASSES[-1] == "Bandwagon,Reductio_ad_hitlerum"
    assert to_2020("Straw_Man") == to_2020("Red_Herring") == "Whataboutism,Straw_Men,Red_Herring"
    assert to_2020("Guilt_by_Association") == "Bandwagon,Reductio_ad_hitlerum"
    assert to_2020("False_Dilemma-No_Choice") == "Black-and-White_Fallacy"
    assert to_2020("Flag_Waving") == "Flag-Waving"
    assert to_2020("Appeal_to_Hypocrisy") == "Appeal_to_Hypocrisy"  # no PTC class: kept


def test_fold_scores_are_reported_with_their_spread():
    from training.techniques.train import _mean_spread

    spread = _mean_spread([{"span_f1": 0.4}, {"span_f1": 0.5}, {"span_f1": 0.6}])
    assert spread["span_f1"] == {"mean": 0.5, "sd": 0.1, "min": 0.4, "max": 0.6}


def test_a_classifier_over_other_layers_names_every_layer_the_model_reads():
    from training.techniques.train import parse_arguments, shared_layers_meta

    common = ["--data", "d", "--out", "o", "--cache", "c", "--shared-layers", "3"]
    assert shared_layers_meta(parse_arguments(common)) == {"shared_layers": [3]}
    assert shared_layers_meta(parse_arguments(common + ["--classifier-layers", "3"])) == {"shared_layers": [3]}
    assert shared_layers_meta(parse_arguments(common + ["--classifier-layers", "6", "3"])) == {
        "shared_layers": [3, 6], "tagger_layers": [3], "classifier_layers": [6, 3]}
