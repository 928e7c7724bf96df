"""Word span rates: counted from gold spans, blended into the tagger's piece probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.stages.techniques.encoder import EncodedText
from sourcetrace.stages.techniques.words import WordRates, blend_inputs, save_counts, word_bucket, word_counts

TRAINING = [
    ("The corrupt regime lied again. The regime met on Tuesday.", [(4, 18), (35, 41)]),
    ("On Tuesday the council voted. Such a corrupt deal!", [(37, 49)]),
]


def _pieces(text: str) -> EncodedText:
    """One piece per word and per punctuation mark, as the tokenizer would cut these words."""
    import re

    offsets = np.array([m.span() for m in re.finditer(r"\w+|[^\w\s]", text)])
    return EncodedText(offsets, np.zeros((len(offsets), 384), np.float32), np.zeros(len(offsets), dtype=int))


def test_counts_words_inside_gold_spans():
    inside, total = word_counts(TRAINING)
    corrupt, regime, tuesday = word_bucket("corrupt"), word_bucket("Regime"), word_bucket("tuesday")
    assert (inside[corrupt], total[corrupt]) == (2, 2)
    assert (inside[regime], total[regime]) == (2, 2)  # case-folded
    assert (inside[tuesday], total[tuesday]) == (0, 2)
    assert total.sum() == 19 and inside.sum() == 5


def test_blend_reads_the_rate_of_each_pieces_word(tmp_path):
    inside, total = word_counts(TRAINING)
    text = "The corrupt council met on Tuesday."
    encoded = _pieces(text)
    flat = np.full(len(encoded.offsets), 0.3)
    rows = blend_inputs(text, encoded, flat, inside, total, alpha=5.0)
    prior = 5 / 19
    words = ["The", "corrupt", "council", "met", "on", "Tuesday", "."]
    rate = {w: 1 / (1 + np.exp(-rows[k, 1])) for k, w in enumerate(words)}
    assert rate["corrupt"] == pytest.approx((2 + 5 * prior) / (2 + 5))
    assert rate["Tuesday"] == pytest.approx((0 + 5 * prior) / (2 + 5))
    assert rate["."] == pytest.approx(prior) and rows[words.index("."), 2] == 0  # punctuation: corpus rate, unseen
    assert rows[words.index("The"), 4] == pytest.approx(rows[words.index("corrupt"), 1])  # highest nearby rate

    save_counts(tmp_path / "word_rates.npz", inside, total)
    # a blend that adds the rate's lead over the corpus rate to the tagger's logit
    blend = {"alpha": 5.0, "coef": [1.0, 1.0, 0.0, 0.0, 0.0], "intercept": -float(np.log(prior / (1 - prior)))}
    blended = WordRates(tmp_path / "word_rates.npz", blend).blend(text, encoded, flat)
    # same tagger probability everywhere: the word seen inside spans comes out higher, the one seen outside lower
    assert blended[words.index("corrupt")] > 0.3 > blended[words.index("Tuesday")]
    assert blended[words.index(".")] == pytest.approx(0.3)


def test_committed_model_blends_word_rates():
    from sourcetrace.stages.techniques.stage import TechniqueModel

    model = TechniqueModel(encoder=object())
    assert model.word_rates is not None
    # counted on the PTC training articles: loaded words are inside gold spans far more often than plain ones
    rate = {w: model.word_rates.inside[word_bucket(w)] / max(model.word_rates.total[word_bucket(w)], 1)
            for w in ("hysteria", "disgusting", "evil", "tuesday", "said")}
    assert rate["hysteria"] > 0.5 and rate["disgusting"] > 0.5 and rate["evil"] > 0.3
    assert rate["tuesday"] < 0.1 and rate["said"] < 0.1
