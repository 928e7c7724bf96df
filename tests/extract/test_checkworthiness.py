"""The check-worthiness model's inputs and outputs on real sentences."""

from __future__ import annotations

from sourcetrace.extract.checkworthiness import load_checkworthiness_model, sentence_shapes


def test_sentence_shapes_show_numbers_dates_and_tense() -> None:
    shape, = sentence_shapes(["We created 22 million jobs in 1993."])
    assert shape.split() == ["PRP", "VBD", "E_CARDINAL", "E_CARDINAL", "NNS", "IN", "E_DATE", "."]


def test_scores_are_probabilities_and_rank_claims_first() -> None:
    model = load_checkworthiness_model()
    scores = model.score([
        "The unemployment rate has doubled to 12 percent since 2019.",
        "Thank you very much, it is good to be here.",
        "",
    ])
    assert scores.shape == (3,) and all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > model.threshold > scores[1]
