"""The pipeline: registered stages run in order over batches of articles (`Pipeline`, `load_pipeline`)."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import Field

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis, ArticleInfo, Meta, StageProblem, StageTiming
from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.registry import (
    LANGUAGE_REASON,
    TIME_LIMIT_REASON,
    Document,
    Stage,
    StageSettings,
    language_name,
    registered_stages,
    stage_contract,
    stage_settings,
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


# Per-article bounds, settings section `limits` (not a stage): an article over max_chars is refused before any
# stage runs; one whose stages have used max_seconds gets no further stages (checked between stages).
LIMITS_SECTION = "limits"


class Limits(StageSettings):
    """Per-article bounds (settings section `limits`, not a stage): an article over `max_chars` is refused
    before any stage runs; one whose stages have used `max_seconds` gets no further stages (checked between
    stages; the layers not made are failed stages)."""

    max_chars: int = Field(100_000, gt=0)
    max_seconds: float = Field(60.0, gt=0)


class Pipeline:
    """Runs stages in order over batches of articles. A stage that fails on one article leaves the others
    untouched: that article's layer stays empty, `meta.failed_stages` says why, and the stages that need the
    layer are skipped for it (`meta.skipped_stages`)."""

    def __init__(self, stages: Sequence[str] = DEFAULT_STAGES, config: dict[str, Any] | None = None) -> None:
        with torch_kept_out():
            self._build(stages, config)

    def _build(self, stages: Sequence[str], config: dict[str, Any] | None) -> None:
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
        bounds = Limits.of(limits, LIMITS_SECTION)
        self.max_chars = bounds.max_chars
        self.max_seconds = bounds.max_seconds
        self.stage_names = tuple(stages)
        self.config = config
        self.stages: list[Stage] = [registry[name](stage_settings(name, config.get(name))) for name in stages]
        self._models: dict[str, str] = {}
        for stage in self.stages:
            self._models.update(stage.models())
        # the layers of the shared MiniLM pass that the stages' heads read (a stage says so with `shared_layers`)
        self.shared_layers = sorted({int(layer) for stage in self.stages
                                     for layer in getattr(stage, "shared_layers", ()) or ()})
        if self.shared_layers:
            from sourcetrace._ml.shared_encoder import load_shared_encoder

            load_shared_encoder().require_layers(self.shared_layers)

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
                if self.shared_layers:
                    self._shared_pass([d for d in runnable if "backbone" in done[id(d)]], spent)
        return [document.analysis for document in documents]

    @staticmethod
    def _shared_pass(documents: list[Document], spent: dict[int, float]) -> None:
        """The shared MiniLM pass over each article's sentences, right after the parse, so that every head reads
        the same pass (`sourcetrace._ml.shared_encoder`). An article it fails on is left without it: the stages
        that read it then try it again themselves, and fail on that article alone."""
        from sourcetrace._ml.shared_encoder import SHARED_PASS, shared_encoding

        for document in documents:
            started = time.perf_counter()
            try:
                shared_encoding(document)
            except ConfigurationError:
                raise
            except Exception:  # noqa: BLE001, S110 - the reading stages report it, per article
                pass
            seconds = time.perf_counter() - started
            spent[id(document)] += seconds
            document.analysis.meta.timing.append(StageTiming(stage=SHARED_PASS, seconds=round(seconds, 6)))

    def _may_run(self, stage: Stage, document: Document, done: set[str], spent: float) -> bool:
        """Whether `stage` runs on this article; if not, `meta.skipped_stages` says why."""
        meta = document.analysis.meta
        contract = stage_contract(stage.name)
        reason = None
        languages = getattr(stage, "supported_languages", None) or contract.languages
        language = document.analysis.article.language
        if spent > self.max_seconds:  # a layer lost to the bound is a failure: the run must not look complete
            meta.failed_stages.append(StageProblem(stage=stage.name, reason=(
                f"{TIME_LIMIT_REASON} the article's analysis had already taken {spent:.0f} s, over the limit of "
                f"{self.max_seconds:g} s (setting {LIMITS_SECTION}: {{max_seconds: S}})")))
            return False
        if languages is not None and language is not None and language not in languages:
            supported = ", ".join(language_name(code) for code in sorted(languages))
            reason = f"{LANGUAGE_REASON} {language_name(language)} text (it analyses {supported})"
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


class _RefuseTorch:
    """A module finder that refuses `torch` (with a ModuleNotFoundError, as when it is not installed)."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@contextlib.contextmanager
def torch_kept_out() -> Iterator[None]:
    """While the stages load, `import torch` fails as if torch were not installed, unless it is already imported.

    No stage runs torch, but spaCy's thinc imports it at start-up when it is installed (an install with the
    `train` extra), which costs seconds of every cold start; a new user's install has no torch at all. Only
    imports inside this block are refused: later code may still import torch."""
    if "torch" in sys.modules:
        yield
        return
    finder = _RefuseTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


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
