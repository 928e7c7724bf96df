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
from sourcetrace.model import Analysis, ArticleInfo, Meta, StageProblem, StageTiming


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


@dataclass(frozen=True)
class StageContract:
    """What a stage needs. `requires`: stages that must run before it in any pipeline that has it; `reads`:
    stages whose layers it uses when they are there (it is skipped on an article where one of them failed or
    was skipped); `languages`: the ISO 639-1 codes it can analyse (None: any)."""

    requires: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    languages: frozenset[str] | None = None


_REGISTRY: dict[str, StageFactory] = {}
_CONTRACTS: dict[str, StageContract] = {}

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

_ENGLISH = frozenset({"en"})
# The English models' stages: on other languages they would only produce noise, so they do not run there.
BUILTIN_CONTRACTS = {
    "backbone": StageContract(),
    "entities": StageContract(("backbone",), (), _ENGLISH),
    "time": StageContract(("backbone",), (), _ENGLISH),
    "attribution": StageContract(("backbone",), (), _ENGLISH),
    "claims": StageContract(("backbone",), ("entities", "time", "attribution"), _ENGLISH),
    "techniques": StageContract(("backbone",)),  # says itself which languages it has models for
    "framing": StageContract(("backbone",), ("entities", "attribution"), _ENGLISH),
    "knowledge_base": StageContract(("backbone",), ("entities", "claims"), _ENGLISH),
    "factchecks": StageContract(("backbone",), ("claims",), _ENGLISH),
}

LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "de": "German", "fr": "French",
                  "es": "Spanish", "ar": "Arabic", "pl": "Polish", "it": "Italian"}

# Per-article bounds, settings section `limits` (not a stage): an article over max_chars is refused before any
# stage runs; one whose stages have used max_seconds gets no further stages (checked between stages).
LIMITS_SECTION = "limits"
DEFAULT_LIMITS = {"max_chars": 100_000, "max_seconds": 60.0}


def register_stage(name: str, *, requires: Sequence[str] = (), reads: Sequence[str] = (),
                   languages: Iterable[str] | None = None) -> Callable[[StageFactory], StageFactory]:
    """Register a stage factory under `name` (`@register_stage("attribution")`); see `StageContract` for the
    options. A stage object may also answer `supported_languages` itself (from its settings)."""

    def decorator(factory: StageFactory) -> StageFactory:
        _REGISTRY[name] = factory
        _CONTRACTS[name] = BUILTIN_CONTRACTS.get(name) or StageContract(
            tuple(requires), tuple(reads), frozenset(languages) if languages is not None else None)
        return factory

    return decorator


def stage_contract(name: str) -> StageContract:
    return _CONTRACTS.get(name, StageContract())


def registered_stages() -> dict[str, StageFactory]:
    for module in BUILTIN_STAGE_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def language_name(code: str | None) -> str:
    if code is None:
        return "an undetected language"
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


class Pipeline:
    """Runs stages in order over batches of articles. A stage that fails on one article leaves the others
    untouched: that article's layer stays empty, `meta.failed_stages` says why, and the stages that need the
    layer are skipped for it (`meta.skipped_stages`)."""

    def __init__(self, stages: Sequence[str] = DEFAULT_STAGES, config: dict[str, Any] | None = None) -> None:
        registry = registered_stages()
        config = dict(config or {})
        limits = dict(config.pop(LIMITS_SECTION, None) or {})
        missing = [name for name in stages if name not in registry]
        if missing:
            raise ConfigurationError(f"unknown stage(s): {', '.join(missing)}; known: {', '.join(registry)}")
        for position, name in enumerate(stages):
            absent = [needed for needed in stage_contract(name).requires if needed not in stages[:position]]
            if absent:
                raise ConfigurationError(
                    f"stage {name!r} needs {', '.join(repr(a) for a in absent)} to run before it; "
                    f"stages given: {', '.join(stages)}")
        unknown_limits = sorted(set(limits) - set(DEFAULT_LIMITS))
        if unknown_limits:
            raise ConfigurationError(
                f"unknown option(s) in {LIMITS_SECTION!r}: {', '.join(unknown_limits)}; known: "
                f"{', '.join(DEFAULT_LIMITS)}")
        self.max_chars = int(limits.get("max_chars", DEFAULT_LIMITS["max_chars"]))
        self.max_seconds = float(limits.get("max_seconds", DEFAULT_LIMITS["max_seconds"]))
        self.stage_names = tuple(stages)
        self.config = config
        self.stages: list[Stage] = [registry[name](config.get(name, {})) for name in stages]
        self._models: dict[str, str] = {}
        for stage in self.stages:
            self._models.update(stage.models())

    def analyze_batch(self, articles: Sequence[ArticleInfo]) -> list[Analysis]:
        """The analysis core that every shell and corpus engine calls: a batch of articles in, analyses out,
        one per article and in the same order, whatever fails inside."""
        documents = [
            Document(Analysis(article=article, meta=Meta(
                sourcetrace_version=__version__, models=self._models,
                warnings=list(getattr(article, "warnings", None) or []))))  # what the input reader noticed
            for article in articles
        ]
        if not documents:
            return []
        spent = {id(document): 0.0 for document in documents}
        done: dict[int, set[str]] = {id(document): set() for document in documents}
        active: list[Document] = []
        for document in documents:
            if len(document.text) > self.max_chars:
                document.analysis.meta.failed_stages.append(StageProblem(
                    stage=LIMITS_SECTION,
                    reason=f"the article has {len(document.text):,} characters, over the limit of "
                    f"{self.max_chars:,} (setting {LIMITS_SECTION}: {{max_chars: N}}); nothing was analysed"))
            else:
                active.append(document)
        for stage in self.stages:
            runnable = [d for d in active if self._may_run(stage, d, done[id(d)], spent[id(d)])]
            if not runnable:
                continue
            started = time.perf_counter()
            self._process_isolated(stage, runnable)
            share = (time.perf_counter() - started) / len(runnable)
            for document in runnable:
                spent[id(document)] += share
                document.analysis.meta.timing.append(StageTiming(stage=stage.name, seconds=round(share, 6)))
                if not any(p.stage == stage.name for p in document.analysis.meta.failed_stages):
                    done[id(document)].add(stage.name)
            if stage.name == "backbone":
                for document in runnable:
                    document.analysis.meta.language = document.analysis.article.language
        return [document.analysis for document in documents]

    def _may_run(self, stage: Stage, document: Document, done: set[str], spent: float) -> bool:
        """Whether `stage` runs on this article; if not, `meta.skipped_stages` says why."""
        meta = document.analysis.meta
        contract = stage_contract(stage.name)
        reason = None
        languages = getattr(stage, "supported_languages", None) or contract.languages
        language = document.analysis.article.language
        if spent > self.max_seconds:  # a layer lost to the bound is a failure: the run must not look complete
            meta.failed_stages.append(StageProblem(stage=stage.name, reason=(
                f"not run: the article's analysis had already taken {spent:.0f} s, over the limit of "
                f"{self.max_seconds:g} s (setting {LIMITS_SECTION}: {{max_seconds: S}})")))
            return False
        if languages is not None and language is not None and language not in languages:
            supported = ", ".join(language_name(code) for code in sorted(languages))
            reason = f"not available for {language_name(language)} text (it analyses {supported})"
        else:
            present = set(self.stage_names)
            missing = [needed for needed in (*contract.requires, *contract.reads)
                       if needed in present and needed not in done]
            if missing:
                reason = f"needs the {', '.join(missing)} layer(s), which did not run on this article"
        if reason is None:
            return True
        meta.skipped_stages.append(StageProblem(stage=stage.name, reason=reason))
        return False

    @staticmethod
    def _process_isolated(stage: Stage, documents: list[Document]) -> None:
        """Run a stage on a batch; if it raises, run it article by article so that only the article that
        breaks it loses the layer, with the stage's partial output on it rolled back."""
        saved = [_snapshot(document) for document in documents]
        try:
            stage.process(documents)
            return
        except ConfigurationError:
            raise  # a missing model or bad setting is the run's problem, not the article's
        except Exception:  # noqa: BLE001 - any stage bug is isolated to the articles it happens on
            pass
        for document, snapshot in zip(documents, saved):
            _restore(document, snapshot)
        for document, snapshot in zip(documents, saved):
            try:
                stage.process([document])
            except ConfigurationError:
                raise
            except Exception as error:  # noqa: BLE001
                _restore(document, snapshot)
                document.analysis.meta.failed_stages.append(
                    StageProblem(stage=stage.name, reason=_one_line(error)))

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


_LAYER_FIELDS = ("sentences", "entities", "times", "attributions", "claims", "techniques", "technique_summary",
                 "framing", "findings")


def _snapshot(document: Document) -> dict[str, Any]:
    analysis = document.analysis
    saved: dict[str, Any] = {name: _copy_layer(getattr(analysis, name)) for name in _LAYER_FIELDS}
    saved["language"] = analysis.article.language
    saved["doc"] = document.doc
    saved["scratch"] = dict(document.scratch)
    return saved


def _copy_layer(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _restore(document: Document, saved: dict[str, Any]) -> None:
    analysis = document.analysis
    for name in _LAYER_FIELDS:
        setattr(analysis, name, _copy_layer(saved[name]))
    analysis.article.language = saved["language"]
    document.doc = saved["doc"]
    document.scratch = dict(saved["scratch"])


def _one_line(error: BaseException) -> str:
    message = " ".join(str(error).split()) or "no message"
    if len(message) > 300:
        message = message[:297] + "..."
    return f"{type(error).__name__}: {message}"


@functools.lru_cache(maxsize=4)
def _cached_pipeline(stages: tuple[str, ...], config_json: str) -> Pipeline:
    return Pipeline(stages, json.loads(config_json) if config_json else None)


def load_pipeline(stages: Sequence[str] | None = None, config: dict[str, Any] | None = None) -> Pipeline:
    """The pipeline, built once per process for given stages and settings (resources load once)."""
    stages = tuple(stages or DEFAULT_STAGES)
    # keyed by the settings' canonical JSON, so that analyze(text, config=...) in a loop loads models once
    key = json.dumps(config, sort_keys=True, default=str) if config else ""
    return _cached_pipeline(stages, key)
