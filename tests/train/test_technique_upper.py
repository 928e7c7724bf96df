"""Fine-tuning MiniLM's upper layers as a second span tagger (sourcetrace.train.technique_upper) and the techniques
training's use of its cross-validated runs (--upper-weight)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_fine_tuning_learns_the_span_it_is_shown():
    from sourcetrace.extract.technique_encoder import PieceEncoder
    from sourcetrace.train.technique_upper import piece_probabilities, train_upper

    text = "These treacherous traitors want to destroy everything we love. The council meets at noon on Tuesday."
    sentences = [(0, 62), (63, len(text))]
    encoded = PieceEncoder(layers=3).encode(text, sentences)
    span = (6, 26)  # "treacherous traitors"
    inside = (encoded.offsets[:, 0] >= span[0]) & (encoded.offsets[:, 1] <= span[1])
    target = inside.astype(np.float32)
    technique = np.where(inside, 0, -100)
    windows = [(encoded.vectors, target, technique)] * 16  # two batches of 8 per epoch
    seen = []

    def after_epoch(epoch, model):
        seen.append(epoch)
        assert not model.training  # scored in eval mode: no dropout

    model = train_upper(windows, classes=14, epochs=3, lr=1e-4, head_lr=1e-2, seed=13, torch=torch,
                        after_epoch=after_epoch)
    assert seen == [1, 2, 3]
    probabilities = piece_probabilities(model, encoded, torch)
    assert probabilities.shape == (len(encoded.offsets),)
    assert probabilities[inside].min() > probabilities[~inside].max()


def test_upper_weight_without_the_fold_runs_stops_before_training_and_says_what_to_run(tmp_path: Path):
    from sourcetrace.train.techniques import main

    with pytest.raises(SystemExit) as stopped:
        main(["--ptc", str(tmp_path / "ptc"), "--out", str(tmp_path / "model"), "--cache", str(tmp_path),
              "--upper-weight", "0.25"])
    message = str(stopped.value)
    assert "python -m sourcetrace.train.technique_upper --epochs 2 --seed 13" in message
    assert str(tmp_path / "upper_cv_s13_e2" / "f0" / "oof2.npz") in message
    assert str(tmp_path / "model" / "upper_tagger.onnx") in message
