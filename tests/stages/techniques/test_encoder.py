"""The techniques encoder: sentences packed into windows, each window read on its own."""

from __future__ import annotations

import json

import numpy as np

from sourcetrace._ml.weights import MODELS_DIR
from sourcetrace.stages.techniques.encoder import model_encoder

SENTENCE = ("The minister said on Tuesday that the new bridge over the river would open to traffic next spring, "
            "two years later than the city council had promised when the works began.")


def test_a_window_reads_the_same_alone_and_after_other_windows() -> None:
    """The int8 encoder quantizes each call's activations with one scale: two windows in one call would make a
    window's vectors depend on the rest of the article."""
    folder = MODELS_DIR / "techniques"
    encoder = model_encoder(folder, json.loads((folder / "meta.json").read_text(encoding="utf-8")))
    text = " ".join([SENTENCE] * 12)
    step = len(SENTENCE) + 1
    sentences = [(index * step, index * step + len(SENTENCE)) for index in range(12)]
    whole = encoder.encode(text, sentences)
    pieces = int((whole.sentence == 0).sum())  # every sentence the same, so the same pieces
    per_window = (encoder.max_pieces - 2) // pieces  # whole sentences per window
    assert 0 < per_window < 12  # more than one window
    first_of_last_window = (11 // per_window) * per_window
    alone = encoder.encode(text, sentences[first_of_last_window:])
    tail = whole.sentence >= first_of_last_window
    assert np.array_equal(whole.offsets[tail], alone.offsets)
    assert np.array_equal(whole.vectors[tail], alone.vectors)
