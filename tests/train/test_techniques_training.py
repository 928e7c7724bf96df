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
