"""The cross-validation folds the technique model's decoding, classifier C and calibration are chosen on."""

from __future__ import annotations

from sourcetrace.train.techniques import FOLDS, fold_ids


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

    from sourcetrace.train.techniques import _fit_on_used_columns

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

    from sourcetrace.extract.technique_encoder import MODEL_DIR
    from sourcetrace.train.techniques import main

    model = tmp_path / "techniques"
    shutil.copytree(MODEL_DIR, model)
    assert '"encoder_graph": "encoder_graph.onnx"' in (model / "meta.json").read_text()  # ptc-mpnet-9's
    before = {f.name: f.read_bytes() for f in model.iterdir()}
    with pytest.raises(SystemExit):
        main(["--keep-tagger", "--out", str(model), "--cache", str(tmp_path / "cache")])
    assert "the kept tagger reads encoder_graph.onnx; pass it as --encoder-file" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in model.iterdir()} == before  # nothing overwritten
