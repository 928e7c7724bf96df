"""The pipeline over real articles: every layer's evidence offsets hold and every output validates."""

import jsonschema
import pytest

from sourcetrace.api_python import make_article
from sourcetrace.errors import ConfigurationError, InputError
from sourcetrace.model import json_schema
from sourcetrace.pipeline import DEFAULT_STAGES, Pipeline, load_pipeline, register_stage, registered_stages
from tests.conftest import POLNEAR, require_shared
from tests.test_model import assert_offsets_hold


def test_every_default_stage_is_registered():
    assert set(DEFAULT_STAGES) <= set(registered_stages())


def test_polnear_articles_keep_the_offset_invariant_in_every_layer():
    texts = sorted((require_shared(POLNEAR) / "dev" / "text").glob("*.txt"))[:6]
    articles = [make_article(p.read_text(encoding="utf-8"), id=p.stem) for p in texts]
    analyses = load_pipeline().analyze_batch(articles)
    assert [a.article.id for a in analyses] == [p.stem for p in texts]
    schema = json_schema()
    for analysis in analyses:
        jsonschema.validate(analysis.to_dict(), schema)
        assert assert_offsets_hold(analysis) > 10
        assert len(analysis.sentences) > 3


def test_seed_article_sentences_do_not_run_across_lines(seed_analysis):
    first = seed_analysis.sentences[0]
    assert first.text == "LPR officers say detected presence of NATO officers in Kharkov region"
    assert all(any(ch.isalnum() for ch in s.text) for s in seed_analysis.sentences)


def test_unknown_stage_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="unknown stage"):
        Pipeline(["backbone", "no_such_stage"])


def test_a_new_stage_is_one_registration():
    class ShoutCounter:
        name = "shouts"

        def __init__(self, config):
            self.config = config

        def models(self):
            return {}

        def process(self, documents):
            for document in documents:
                document.scratch["shouts"] = document.text.count("!")

    register_stage("shouts")(ShoutCounter)
    pipeline = Pipeline(["backbone", "shouts"])
    [analysis] = pipeline.analyze_batch([make_article("They won! Officials said so!", id="s")])
    assert [t.stage for t in analysis.meta.timing] == ["backbone", "shouts"]


def test_empty_text_is_refused():
    with pytest.raises(InputError, match="empty"):
        make_article("   ")
