"""Stage registry and the pipeline that runs registered stages, in order, over batches of articles.

In the spirit of spaCy's `Language.factory`: a stage is registered by name with a factory that loads its
resources once (when the pipeline is built, once per process) and returns an object with
`process(documents)`. Each stage reads the layers earlier stages added and adds its own; none rewrites
another's. A new extractor is one new module and one line in `BUILTIN_STAGE_MODULES`.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sourcetrace import __version__
from sourcetrace.errors import ConfigurationError
from sourcetrace.model import Analysis, ArticleInfo, Meta, StageTiming


@dataclass
class Document:
    """What flows through the pipeline: the analysis being built and the parse it is built from."""

    analysis: Analysis
    doc: Any = None  # spacy.tokens.Doc, set by the backbone stage
    scratch: dict[str, Any] = field(default_factory=dict)  # per-document data shared between stages

    @property
    def text(self) -> str:
        return self.analysis.article.text


class Stage(Protocol):
    name: str

    def process(self, documents: Sequence[Document]) -> None:
        """Add this stage's layer to each document, in place."""

    def models(self) -> dict[str, str]:
        """Model names and versions this stage uses, for `meta.models`."""


StageFactory = Callable[[dict[str, Any]], Stage]
_REGISTRY: dict[str, StageFactory] = {}

# Import order does not matter; the order of execution is DEFAULT_STAGES.
BUILTIN_STAGE_MODULES = (
    "sourcetrace.nlp",
    "sourcetrace.extract.entities",
    "sourcetrace.extract.time",
    "sourcetrace.extract.attribution",
    "sourcetrace.extract.claims",
    "sourcetrace.extract.techniques",
    "sourcetrace.extract.framing",
    "sourcetrace.verify.knowledge_base",
    "sourcetrace.verify.factchecks",
)

DEFAULT_STAGES = (
    "backbone",  # spaCy parse, sentences, NER entities, language
    "entities",  # gazetteer linking, transliteration variants
    "time",  # temporal expressions normalised against the publication date
    "attribution",  # source / cue / content / channel
    "claims",  # claims, kinds, quantities, check-worthiness
    "techniques",  # persuasion techniques
    "framing",  # framing markers
    "knowledge_base",  # contradictions with known facts
    "factchecks",  # matches to claims already fact-checked, narratives
)


def register_stage(name: str) -> Callable[[StageFactory], StageFactory]:
    """Register a stage factory under `name` (`@register_stage("attribution")`)."""

    def decorator(factory: StageFactory) -> StageFactory:
        _REGISTRY[name] = factory
        return factory

    return decorator


def registered_stages() -> dict[str, StageFactory]:
    for module in BUILTIN_STAGE_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


class Pipeline:
    """Runs stages in order over batches of articles."""

    def __init__(self, stages: Sequence[str] = DEFAULT_STAGES, config: dict[str, Any] | None = None) -> None:
        registry = registered_stages()
        config = config or {}
        missing = [name for name in stages if name not in registry]
        if missing:
            raise ConfigurationError(f"unknown stage(s): {', '.join(missing)}; known: {', '.join(registry)}")
        self.stage_names = tuple(stages)
        self.config = config
        self.stages: list[Stage] = [registry[name](config.get(name, {})) for name in stages]
        self._models: dict[str, str] = {}
        for stage in self.stages:
            self._models.update(stage.models())

    def analyze_batch(self, articles: Sequence[ArticleInfo]) -> list[Analysis]:
        """The analysis core that every shell and corpus engine calls: a batch of articles in, analyses out."""
        documents = [
            Document(Analysis(article=article, meta=Meta(sourcetrace_version=__version__, models=self._models)))
            for article in articles
        ]
        if not documents:
            return []
        for stage in self.stages:
            started = time.perf_counter()
            stage.process(documents)
            share = (time.perf_counter() - started) / len(documents)
            for document in documents:
                document.analysis.meta.timing.append(StageTiming(stage=stage.name, seconds=round(share, 6)))
        return [document.analysis for document in documents]

    def analyze(self, article: ArticleInfo) -> Analysis:
        return self.analyze_batch([article])[0]

    def pipe(self, articles: Iterable[ArticleInfo], batch_size: int = 16) -> Iterable[Analysis]:
        batch: list[ArticleInfo] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= batch_size:
                yield from self.analyze_batch(batch)
                batch = []
        if batch:
            yield from self.analyze_batch(batch)


@functools.lru_cache(maxsize=4)
def _cached_pipeline(stages: tuple[str, ...], config_json: str) -> Pipeline:
    return Pipeline(stages, json.loads(config_json) if config_json else None)


def load_pipeline(stages: Sequence[str] | None = None, config: dict[str, Any] | None = None) -> Pipeline:
    """The pipeline, built once per process for given stages and settings (resources load once)."""
    stages = tuple(stages or DEFAULT_STAGES)
    # keyed by the settings' canonical JSON, so that analyze(text, config=...) in a loop loads models once
    key = json.dumps(config, sort_keys=True, default=str) if config else ""
    return _cached_pipeline(stages, key)
