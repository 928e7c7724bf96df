"""The pipeline over real articles: every layer's evidence offsets hold and every output validates."""

import jsonschema
import pytest

from sourcetrace.analysis import json_schema
from sourcetrace.api import make_article
from sourcetrace.errors import ConfigurationError, InputError
from sourcetrace.pipeline.registry import register_stage, registered_stages
from sourcetrace.pipeline.run import DEFAULT_STAGES, Pipeline, load_pipeline
from tests.conftest import POLNEAR, require_shared
from tests.test_analysis import assert_offsets_hold


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


class _BreaksOn:
    """A stage that raises on articles containing a marker word, as a stage bug would."""

    def __init__(self, name, marker):
        self.name = name
        self.marker = marker

    def models(self):
        return {}

    def process(self, documents):
        for document in documents:
            if self.marker in document.text:
                document.analysis.framing = []  # partial output before the crash must not survive
                raise ValueError(f"span [107, 38) outside a text of {len(document.text)} characters")
            document.scratch[self.name] = True


def test_a_stage_failing_on_one_article_leaves_the_others_and_its_other_layers():
    register_stage("breaks_on_boom", requires=("backbone",))(lambda config: _BreaksOn("breaks_on_boom", "boom"))
    register_stage("reads_breaker", requires=("backbone",), reads=("breaks_on_boom",))(
        lambda config: _BreaksOn("reads_breaker", "never-there"))
    pipeline = Pipeline(["backbone", "breaks_on_boom", "reads_breaker"])
    texts = ["Officials said the bridge was open.", "A boom was heard, residents said.", "The mayor spoke on Monday."]
    analyses = pipeline.analyze_batch([make_article(t, id=f"a{i}") for i, t in enumerate(texts)])
    assert [a.article.id for a in analyses] == ["a0", "a1", "a2"]
    good, bad, other = analyses
    assert good.meta.failed_stages == [] and other.meta.failed_stages == []
    assert [p.stage for p in bad.meta.failed_stages] == ["breaks_on_boom"]
    assert bad.meta.failed_stages[0].reason.startswith("ValueError: span [107, 38)")
    assert bad.sentences, "the layers the failing stage did not make are kept"
    assert [p.stage for p in bad.meta.skipped_stages] == ["reads_breaker"]
    assert "breaks_on_boom" in bad.meta.skipped_stages[0].reason
    assert "reads_breaker" in [t.stage for t in good.meta.timing]


def test_stage_order_and_requirements_are_checked_when_the_pipeline_is_built():
    with pytest.raises(ConfigurationError, match="'attribution' needs 'backbone'"):
        Pipeline(["attribution", "backbone"])


def test_an_article_over_the_size_limit_is_refused_and_the_batch_goes_on():
    pipeline = Pipeline(["backbone"], {"limits": {"max_chars": 100}})
    small, big = pipeline.analyze_batch([make_article("A short one.", id="s"), make_article("word " * 40, id="b")])
    assert small.sentences and not small.meta.failed_stages
    assert not big.sentences and big.meta.failed_stages[0].stage == "limits"
    assert "over the limit of 100" in big.meta.failed_stages[0].reason


def test_unknown_limit_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="unknown option.*max_char"):
        Pipeline(["backbone"], {"limits": {"max_char": 5}})


RUSSIAN = ("Пресс-секретарь президента России Дмитрий Песков заявил журналистам, что Кремль не комментирует "
           "эти сообщения. «Мы не будем это обсуждать», — сказал Песков в понедельник. По данным Минобороны, "
           "ночью были сбиты несколько беспилотников над Белгородской областью.")


def test_russian_text_gets_the_russian_backbone_and_attributions(pipeline):
    analysis = pipeline.analyze(make_article(RUSSIAN, id="ru"))
    assert analysis.meta.language == "ru"
    assert len(analysis.sentences) == 3
    assert any(e.label == "PERSON" and e.span.text == "Дмитрий Песков" for e in analysis.entities)
    speakers = {a.cue.text: a.speaker.name for a in analysis.attributions if a.cue and a.speaker}
    assert speakers["заявил"] == "Дмитрий Песков" and speakers["сказал"] == "Дмитрий Песков"
    assert "backbone_ru" in analysis.meta.models and "spacy" not in analysis.meta.models
    assert "attribution" not in {p.stage for p in analysis.meta.skipped_stages}
    assert_offsets_hold(analysis)


GERMAN = ("Der Sprecher des Kremls, Dmitri Peskow, sagte am Montag, dass der Kreml diese Berichte nicht "
          "kommentiere. Das Verteidigungsministerium meldete in der Nacht mehrere abgeschossene Drohnen.")


def test_a_language_without_models_gets_no_english_model_output_and_says_so(pipeline):
    analysis = pipeline.analyze(make_article(GERMAN, id="de"))
    assert analysis.meta.language == "de"
    assert analysis.sentences
    assert analysis.entities == [] and analysis.attributions == [] and analysis.claims == []
    assert analysis.times == [] and analysis.framing == []
    skipped = {p.stage for p in analysis.meta.skipped_stages}
    assert {"entities", "time", "attribution", "claims", "framing", "knowledge_base", "factchecks"} <= skipped
    from sourcetrace.report.coverage import coverage_notes

    assert coverage_notes(analysis)[0].startswith("Language: German (de). Not analysed for this language: entities")
