"""Training of the attribution stackers (`training.attribution.train`): what the fitted stack tells the run time."""

from __future__ import annotations

import numpy as np

from sourcetrace.stages.attribution.learned import LearnedExtractor, load_model, save_model
from training.attribution.train import fit_stack


def _rows(rng: np.random.Generator) -> dict:
    """Stacker rows of one article (random features): 20 cue words, and 5 cues with 4 source and 4 content options
    each, the first one gold."""
    cue = [list(rng.normal(size=5)) for _ in range(20)]
    source = [list(rng.normal(size=10)) for _ in range(20)]
    content = [list(rng.normal(size=10)) for _ in range(20)]
    gold = [1, 0, 0, 0] * 5
    return {"cue": (cue, [i % 2 for i in range(20)]), "source": (source, gold), "content": (content, gold),
            "sizes": {"source": [4] * 5, "content": [4] * 5}}


def test_fitted_stackers_let_the_ranker_decide_nested_cues_and_keep_that_when_stored(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = {f"a{i}": _rows(rng) for i in range(6)}
    stack = fit_stack(rows, sorted(rows))
    assert stack["nested_by_ranker"] is True
    stack["cue_threshold"] = 0.4
    shipped = LearnedExtractor()
    save_model({"cue": shipped.cue_scorer, "source": shipped.source_scorer, "content": shipped.content_scorer,
                "cue_threshold": 0.3, "source_threshold": 0.3, "stack": stack}, tmp_path)
    assert load_model(tmp_path)["stack"]["nested_by_ranker"] is True
