"""An article's analysis is the same whatever else is analysed with it: alone, first or last in a batch, in
batches of several sizes, and in a corpus run with the pool engine (a worker process with one ONNX thread).

Every layer is compared, as the JSON that `sourcetrace analyze` writes, with only the timings left out.
"""

from __future__ import annotations

import json
import random

import pytest

from sourcetrace.analysis import Analysis, ArticleInfo
from tests.conftest import EXAMPLE_ARTICLE, POLNEAR, require_shared

# Short articles, so that batches of 16 and 64 stay quick; the first is the one a fact-check below matches.
NATO = (
    "NATO officers have been deployed to the Kharkiv region, where they command Ukrainian units, a militia "
    "spokesman said on Monday. \"They are running the operation,\" he told reporters. The claim could not be "
    "independently verified. Kyiv denied it, and a NATO spokeswoman said no alliance troops were in Ukraine."
)
BRIDGE = (
    "Kyiv, 12 September. Ukrainian officials said on Monday that the Antonivskyi bridge over the Dnipro had been "
    "struck again overnight, leaving it impassable for heavy vehicles. The regional administration said repairs "
    "would take weeks. A military spokesman declined to say which units had carried out the strike."
)
# The three shortest PolNeAR dev articles (343 to 953 characters): real news text with nested attributions.
POLNEAR_ARTICLES = (
    "huff-post_2016-09-28_clinton-supporting-super-pacs-ta",
    "breitbart_2016-09-28_mary-j-blige-sings-to-hillary-cl",
    "breitbart_2016-09-20_poll-wealthy-voters-abandon-repu",
)
REVIEWS = [
    ("https://fc.example/nato-kharkiv", "NATO officers are deployed in the Kharkiv region to command Ukrainian units."),
    ("https://fc.example/bridge", "The Antonivskyi bridge was destroyed and can no longer be crossed."),
    ("https://fc.example/poll", "Wealthy voters abandon the Republican nominee in a new poll."),
]


def comparable(analysis: Analysis | dict) -> str:
    """The analysis as JSON, without the timings (they are measured, not computed)."""
    data = json.loads(analysis.to_json()) if isinstance(analysis, Analysis) else dict(analysis)
    data["meta"] = {key: value for key, value in data["meta"].items() if key != "timing"}
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def assert_same(found: str, expected: str, article_id: str) -> None:
    """Equal JSON, or a failure naming the article and the layers that differ."""
    if found != expected:
        got, want = json.loads(found), json.loads(expected)
        layers = [layer for layer in want if got.get(layer) != want[layer]]
        raise AssertionError(f"{article_id}: differs from its analysis alone in {layers}")


@pytest.fixture(scope="module")
def articles() -> list[ArticleInfo]:
    from sourcetrace.api import make_article

    found = [make_article(NATO, id="nato", published="2022-09-12"),
             make_article(BRIDGE, id="bridge", published="2022-09-12", outlet="Wire Agency"),
             make_article(EXAMPLE_ARTICLE.read_text(encoding="utf-8"), id="example", published="2022-10-05")]
    for name in POLNEAR_ARTICLES:
        path = require_shared(POLNEAR / "dev" / "text" / f"{name}.txt")
        found.append(make_article(path.read_text(encoding="utf-8"), id=name[:40], published=name.split("_")[1]))
    return found


@pytest.fixture(scope="module")
def factcheck_db(tmp_path_factory):
    """A small fact-check store, so that the fact-check layer (MiniLM vectors, cross-encoder) is compared too."""
    from sourcetrace._ml.embedder import load_embedder
    from sourcetrace.stages.factchecks.importers import read_factchecks
    from sourcetrace.stages.factchecks.store import FactcheckStore

    folder = tmp_path_factory.mktemp("factchecks")
    source = folder / "reviews.jsonl"
    source.write_text("".join(json.dumps({
        "@type": "ClaimReview", "url": url, "claimReviewed": claim, "datePublished": "2022-09-20",
        "author": {"name": "StopFake"}, "reviewRating": {"alternateName": "False"}}) + "\n" for url, claim in REVIEWS),
        encoding="utf-8")
    path = folder / "store.duckdb"
    with FactcheckStore(path) as store:
        store.import_records(read_factchecks(source), load_embedder())
    return path


@pytest.fixture(scope="module")
def config(factcheck_db) -> dict:
    # the recall point: technique spans on these articles to compare (the precision point shows none on them)
    return {"factchecks": {"db": str(factcheck_db)}, "techniques": {"operating_point": "recall"}}


@pytest.fixture(scope="module")
def alone(articles, config) -> dict[str, str]:
    """Each article analysed on its own, the reference every other way must give byte for byte."""
    from sourcetrace.api import analyze_batch

    return {article.id: comparable(analyze_batch([article], config=config)[0]) for article in articles}


def test_the_reference_has_every_layer(alone) -> None:
    """The comparison means something only if the layers that come from models are filled."""
    layers = [json.loads(text) for text in alone.values()]
    for layer in ("attributions", "claims", "techniques", "findings"):
        assert any(data[layer] for data in layers), layer
    assert any(a.get("parent") for data in layers for a in data["attributions"])  # nested attributions
    assert any(f["kind"] == "reports_checked_claim" for data in layers for f in data["findings"])


@pytest.mark.parametrize("size", [2, 6, 16, 64])
def test_an_article_is_analysed_the_same_in_any_batch(articles, config, alone, size) -> None:
    """Shuffled batches of several sizes (the larger ones repeat the articles): every analysis equals its
    article's analysis alone, first, last or anywhere in between."""
    from sourcetrace.pipeline.run import load_pipeline

    order = random.Random(size).choices(articles, k=size) if size > len(articles) else \
        random.Random(size).sample(articles, size)
    order[0], order[-1] = articles[0], articles[-1]  # the same two articles first and last, in every size
    analyses = load_pipeline(config=config).analyze_batch(order)
    assert [a.article.id for a in analyses] == [a.id for a in order]
    for analysis in analyses:
        assert_same(comparable(analysis), alone[analysis.article.id], analysis.article.id)


def test_a_corpus_run_with_the_pool_engine_stores_the_same_analyses(articles, config, alone, tmp_path,
                                                                      monkeypatch) -> None:
    """A worker process (one ONNX thread, tasks of 4 articles) stores what `analyze` gives alone (two threads)."""
    from sourcetrace.corpus.runner import RunOptions, run_corpus
    from sourcetrace.corpus.store import CorpusStore

    monkeypatch.delenv("SOURCETRACE_EMBED_THREADS", raising=False)  # the worker then sets its own: 1
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(article.model_dump_json() + "\n" for article in reversed(articles)), encoding="utf-8")
    out = tmp_path / "out"
    run_corpus([source], out, RunOptions(store=str(out), task_size=4, workers=1, config=config), progress=False,
               engine="pool")
    with CorpusStore.open(out) as store:
        for article in articles:
            stored = store.article(article.id)
            assert stored is not None, article.id
            assert_same(comparable(stored), alone[article.id], article.id)


def test_the_cli_and_the_http_api_give_the_same_analyses(articles, config, alone, tmp_path) -> None:
    """`sourcetrace analyze records.jsonl` (one batch of every article) and `POST /api/analyze` (one at a time)."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from sourcetrace.cli import app
    from sourcetrace.pipeline.run import load_pipeline
    from sourcetrace.web.app import WebSettings, create_app

    records = [{"id": a.id, "text": a.text, "title": a.title, "published": a.published, "outlet": a.outlet}
               for a in articles]
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["analyze", str(source), "--format", "jsonl", "-o", str(out),
                                      "--config", str(settings)])
    assert result.exit_code == 0, result.output
    for line in out.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        assert_same(comparable(data), alone[data["article"]["id"]], data["article"]["id"])

    with TestClient(create_app(WebSettings(), pipeline=load_pipeline(config=config))) as client:
        for record in records:
            response = client.post("/api/analyze", json={k: v for k, v in record.items() if v is not None})
            assert response.status_code == 200, response.text
            assert_same(comparable(response.json()), alone[record["id"]], record["id"])


def test_a_claims_fact_check_features_do_not_depend_on_the_other_claims() -> None:
    """The retrieval features of a claim (cosines, BM25, ranks), before any rounding, are the same searched alone
    or among forty claims: the layer rounds its scores, which hides most last-bit differences but not all."""
    import numpy as np

    from sourcetrace.stages.factchecks.retrieval import FactcheckIndex

    generator = np.random.default_rng(7)
    claims = [f"claim {i} about topic {i % 17} in region {i % 5}" for i in range(300)]
    claim_vectors = generator.standard_normal((len(claims), 384)).astype(np.float32)
    claim_vectors /= np.linalg.norm(claim_vectors, axis=1, keepdims=True)
    index = FactcheckIndex(claims, claim_vectors)
    queries = [f"officials said topic {i % 17} mattered in region {i % 3}" for i in range(40)]
    query_vectors = generator.standard_normal((len(queries), 384)).astype(np.float32)
    together = index.features(queries, query_vectors)
    for position in (0, 17, 39):
        ((pool, features),) = index.features([queries[position]], query_vectors[position : position + 1])
        assert np.array_equal(pool, together[position][0]) and np.array_equal(features, together[position][1])
