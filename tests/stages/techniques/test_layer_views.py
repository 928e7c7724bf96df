"""A techniques model whose classifier reads other layers of the shared pass than its tagger."""

from __future__ import annotations

import numpy as np

from sourcetrace.stages.techniques.encoder import EncodedText
from sourcetrace.stages.techniques.stage import TechniqueModel, layer_columns


def _encoded(layers: int, width: int = 4) -> EncodedText:
    # piece k of layer l holds the value 10 * l + k in every column, so a column's layer can be read off
    pieces = 3
    vectors = np.concatenate([np.full((pieces, width), 10.0 * (layer + 1)) + np.arange(pieces)[:, None]
                              for layer in range(layers)], axis=1).astype(np.float32)
    return EncodedText(offsets=np.array([[0, 1], [2, 3], [4, 5]], dtype=np.int32), vectors=vectors,
                       sentence=np.zeros(pieces, dtype=np.int32))


def test_layer_columns_picks_each_chosen_layer_in_the_chosen_order():
    encoded = _encoded(2)  # layers 3 and 6 side by side
    sixth = layer_columns(encoded, [3, 6], [6])
    assert sixth.vectors.shape == (3, 4)
    assert np.array_equal(sixth.vectors[:, 0], [20, 21, 22])
    swapped = layer_columns(encoded, [3, 6], [6, 3])
    assert np.array_equal(swapped.vectors[0], [20] * 4 + [10] * 4)
    assert swapped.offsets is encoded.offsets and swapped.sentence is encoded.sentence


def _model(meta: dict) -> TechniqueModel:
    model = TechniqueModel.__new__(TechniqueModel)  # the views read meta only
    model.meta = meta
    return model


def test_the_tagger_and_the_classifier_read_their_own_layers():
    encoded = _encoded(2)
    tagger, classifier = _model({"shared_layers": [3, 6], "tagger_layers": [3],
                                 "classifier_layers": [6]}).layer_views(encoded)
    assert np.array_equal(tagger.vectors, encoded.vectors[:, :4])
    assert np.array_equal(classifier.vectors, encoded.vectors[:, 4:])
    tagger, classifier = _model({"shared_layers": [3, 6], "tagger_layers": [3]}).layer_views(encoded)
    assert classifier.vectors.shape == (3, 8)  # no classifier_layers: all the shared layers
    assert tagger.vectors.shape == (3, 4)


def test_a_model_without_layer_names_reads_the_same_vectors_for_both():
    encoded = _encoded(1)
    assert _model({"shared_layers": [3]}).layer_views(encoded) == (encoded, encoded)
    assert _model({"encoder_layers": 3}).layer_views(encoded) == (encoded, encoded)
