"""The check-worthiness model's inputs and outputs on real sentences."""

from __future__ import annotations

import subprocess
import sys

from sourcetrace.stages.claims.checkworthiness import load_checkworthiness_model, sentence_shapes


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


def test_fine_tuned_minilm_alone_ranks_a_statistic_above_opinion_and_greeting() -> None:
    model = load_checkworthiness_model()
    assert model.minilm is not None, "the shipped model averages in the fine-tuned MiniLM"
    statistic, opinion, greeting = model.minilm.score([
        "Crime in our cities went up 14 percent last year, according to the FBI.",
        "I think my opponent is a wonderful person and I respect him.",
        "Good evening, and thank you all for coming tonight.",
    ])
    assert statistic > 0.5 > max(opinion, greeting)


def test_minilm_scores_do_not_depend_on_the_batch() -> None:
    # texts are sorted by length and padded together: a text's score must not change with its neighbours
    model = load_checkworthiness_model()
    claim = "The deficit rose to $1.4 trillion in 2009."
    alone = model.minilm.score([claim])[0]
    batched = model.minilm.score(["Thanks.", claim, "We will talk about the economy and jobs and taxes later on."])[1]
    assert abs(alone - batched) < 1e-3


def test_fine_tuned_minilm_runs_without_torch() -> None:
    # the MiniLM side runs on onnxruntime: torch is for training only (spaCy's thinc imports torch on its own
    # when it is installed, so this loads the ONNX scorer alone)
    code = ("import sys; from sourcetrace.stages.claims.checkworthiness import MINILM_FILE, MODEL_DIR, MinilmScorer; "
            "MinilmScorer(MODEL_DIR / MINILM_FILE).score(['Unemployment fell to 3.5 percent.']); "
            "print(sys.modules.get('torch') is not None)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
