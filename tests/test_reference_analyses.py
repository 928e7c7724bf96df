"""Twenty real articles (the bundled example, the reference article, PolNeAR dev and PTC articles) analysed
with the default pipeline give the committed analyses, layer by layer: a digest of each layer's canonical JSON
(timings left out) is kept in tests/data/reference_digests.json, since the shared texts are not copied here.

A change that alters analyses on purpose writes the digests again: `SOURCETRACE_WRITE_REFERENCE=1 python -m
pytest tests/test_reference_analyses.py`, and says in its commit which layers changed and why.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ARTICLE, POLNEAR, SEED_ARTICLE, SHARED, require_shared

DIGESTS = Path(__file__).resolve().parent / "data" / "reference_digests.json"


def reference_articles() -> list[tuple[str, Path, str | None]]:
    """(id, path, published) of the twenty articles, in a fixed order."""
    polnear = sorted((require_shared(POLNEAR) / "dev" / "text").glob("*.txt"))[:10]
    ptc = sorted((require_shared(SHARED / "data" / "ptc") / "train-articles").glob("*.txt"))[:8]
    return ([("article", EXAMPLE_ARTICLE, "2022-10-05"), ("seed", require_shared(SEED_ARTICLE), "2022-09-13")]
            + [(path.stem, path, None) for path in polnear + ptc])


def layer_digests(analysis: dict) -> dict[str, str]:
    analysis = dict(analysis)
    analysis["meta"] = {key: value for key, value in analysis["meta"].items() if key != "timing"}
    return {layer: hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            for layer, value in sorted(analysis.items())}


@pytest.mark.slow
def test_twenty_reference_articles_analyse_to_the_committed_layers():
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline

    chosen = reference_articles()
    assert len(chosen) == 20
    articles = [make_article(path.read_text(encoding="utf-8"), id=identifier, published=published)
                for identifier, path, published in chosen]
    fresh = {a.article.id: layer_digests(a.to_dict()) for a in load_pipeline().analyze_batch(articles)}
    if os.environ.get("SOURCETRACE_WRITE_REFERENCE") == "1":
        DIGESTS.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    reference = json.loads(DIGESTS.read_text(encoding="utf-8"))
    differing = [f"{identifier}.{layer}" for identifier in reference for layer in reference[identifier]
                 if fresh.get(identifier, {}).get(layer) != reference[identifier][layer]]
    assert sorted(fresh) == sorted(reference)
    assert differing == [], f"layers that differ from {DIGESTS.name}: {', '.join(differing)}"
