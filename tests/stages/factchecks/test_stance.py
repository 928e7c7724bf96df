"""The runtime stance model: sentence splitting, features, the tree ensemble's export, and the packaged model."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.stages.factchecks.stance import (
    STANCES,
    TreeEnsemble,
    feature_names,
    load_stance_model,
    pair_features,
    split_sentences,
)


def test_split_sentences_keeps_closing_quotes_and_breaks_lines() -> None:
    text = 'He said it "appears to be a hoax." Officials disagreed.\n\nA second paragraph'
    assert split_sentences(text) == ['He said it "appears to be a hoax."', "Officials disagreed.",
                                     "A second paragraph"]
    assert split_sentences("") == []


def test_features_have_one_name_each_and_take_empty_passages() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = ["The claim is false, officials said.", "Nobody denied it.", "Reports suggest otherwise?"]
    features = pair_features("The claim is true", vectors[0], sentences, vectors)
    assert features.shape == (len(feature_names()),) and np.isfinite(features).all()
    empty = pair_features("The claim is true", vectors[0], [], np.zeros((0, 384)))
    assert empty.shape == features.shape and np.isfinite(empty).all()


def test_tree_export_gives_scikit_learns_probabilities() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int) * 2  # four classes
    x[::17, 2] = np.nan  # a missing value follows the split's learned side
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    ensemble = TreeEnsemble(TreeEnsemble.from_sklearn(model).arrays())
    assert np.allclose(ensemble.predict_proba(x), model.predict_proba(x), atol=1e-9)


@pytest.fixture(scope="module")
def model():
    return load_stance_model()


def test_predict_gives_four_probabilities(model) -> None:
    probabilities = model.predict("The bridge collapsed on Monday",
                                  "Officials said on Monday that the bridge had collapsed.")
    assert tuple(probabilities) == STANCES
    assert sum(probabilities.values()) == pytest.approx(1.0) and all(0 <= p <= 1 for p in probabilities.values())
    unrelated = model.predict("The bridge collapsed on Monday", "The council voted to plant trees by the river.")
    assert unrelated["unrelated"] > probabilities["unrelated"]


def test_a_given_claim_vector_is_the_one_embedded(model) -> None:
    claim, passage = "Vaccines cause autism", "A new study found no link between vaccines and autism."
    vector = model.embedder.encode([claim])[0]
    assert model.predict(claim, passage, claim_vector=vector) == pytest.approx(model.predict(claim, passage))
    labels = model.predict_labels([claim, claim], [passage, "Stocks rose on Tuesday."])
    assert all(label in STANCES for label in labels)
