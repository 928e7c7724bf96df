"""The stage registry: what a stage is (`Document` in, its layer added), how it is registered by name, and the
contract the pipeline checks when it is built.

In the spirit of spaCy's `Language.factory`: a stage is registered by name with a factory that loads its
resources once (when the pipeline is built, once per process) and returns an object with
`process(documents)`. Each stage reads the layers earlier stages added and adds its own; none rewrites
another's. A built-in stage is one subpackage of `sourcetrace.stages` and one line in `BUILTIN_STAGE_MODULES`;
a stage from another package registers itself in a module named by an entry point of the group
`sourcetrace.stages` (`[project.entry-points."sourcetrace.stages"] mystage = "mypackage.mystage"`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import Self

from sourcetrace.analysis import Analysis
from sourcetrace.errors import ConfigurationError

ENTRY_POINT_GROUP = "sourcetrace.stages"


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


class StageSettings(BaseModel):
    """The base of a stage's typed settings: the options and their defaults, in one place. An unknown option
    is refused, naming the stage and the option, so that a misspelt setting never runs the default silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def of(cls, options: StageSettings | Mapping[str, Any] | None, stage: str) -> Self:
        """These settings from a mapping of options (a settings file's section), checked."""
        if isinstance(options, cls):
            return options
        try:
            return cls.model_validate(dict(options or {}))
        except ValidationError as error:
            raise ConfigurationError(settings_error(stage, cls, error)) from None


def settings_error(stage: str, settings: type[BaseModel], error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        option = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            problems.append(f"unknown option {option!r} (known: {', '.join(settings.model_fields)})")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"option {option!r}: {message[:1].lower() + message[1:]}, found {problem.get('input')!r}")
    return f"stage {stage!r}: " + "; ".join(problems)


@dataclass(frozen=True)
class StageContract:
    """What a stage needs and makes. `requires`: stages that must run before it in any pipeline that has it;
    `reads`: stages whose layers it uses when they are there (it is skipped on an article where one of them
    failed or was skipped); `assigns`: the layers it adds; `languages`: the ISO 639-1 codes it can analyse
    (None: any); `settings`: its typed settings (None: the factory gets the options as a plain mapping)."""

    requires: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()
    languages: frozenset[str] | None = None
    settings: type[StageSettings] | None = None


_REGISTRY: dict[str, StageFactory] = {}
_CONTRACTS: dict[str, StageContract] = {}

# Import order does not matter; the order of execution is DEFAULT_STAGES.
BUILTIN_STAGE_MODULES = (
    "sourcetrace.pipeline.backbone",
    "sourcetrace.stages.entities.stage",
    "sourcetrace.stages.time.stage",
    "sourcetrace.stages.attribution.stage",
    "sourcetrace.stages.claims.stage",
    "sourcetrace.stages.techniques.stage",
    "sourcetrace.stages.framing.stage",
    "sourcetrace.stages.knowledge_base.stage",
    "sourcetrace.stages.factchecks.stage",
)

ENGLISH = frozenset({"en"})  # the English models' stages: on other languages they would only produce noise

# How the reasons of stages that did not run on an article begin, so that reports can tell the kinds apart.
LANGUAGE_REASON = "not available for"
TIME_LIMIT_REASON = "not run:"

LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "de": "German", "fr": "French",
                  "es": "Spanish", "ar": "Arabic", "pl": "Polish", "it": "Italian"}

def register_stage(name: str, *, requires: Sequence[str] = (), reads: Sequence[str] = (),
                   assigns: Sequence[str] = (), languages: Iterable[str] | None = None,
                   settings: type[StageSettings] | None = None) -> Callable[[StageFactory], StageFactory]:
    """Register a stage factory under `name` (`@register_stage("framing", requires=("backbone",),
    assigns=("framing",), settings=FramingSettings)`); see `StageContract` for the options. The factory gets
    its checked settings object (or, without `settings`, the options as a mapping). A stage object may also
    answer `supported_languages` itself (from its settings)."""

    def decorator(factory: StageFactory) -> StageFactory:
        _REGISTRY[name] = factory
        _CONTRACTS[name] = StageContract(tuple(requires), tuple(reads), tuple(assigns),
                                         frozenset(languages) if languages is not None else None, settings)
        return factory

    return decorator


def stage_settings(name: str, options: Mapping[str, Any] | None) -> Any:
    """A stage's settings from the options given for it: its typed settings, checked, or the mapping itself
    for a stage that declares none."""
    settings = stage_contract(name).settings
    return settings.of(options, name) if settings is not None else dict(options or {})


def stage_contract(name: str) -> StageContract:
    return _CONTRACTS.get(name, StageContract())


def registered_stages() -> dict[str, StageFactory]:
    """Every stage factory by name: the built-in stages and those of installed packages' entry points."""
    for module in BUILTIN_STAGE_MODULES:
        importlib.import_module(module)
    _load_entry_points()
    return dict(_REGISTRY)


_ENTRY_POINTS_LOADED = False


def _load_entry_points() -> None:
    """Import the modules that installed packages name in the `sourcetrace.stages` entry-point group; each
    registers its stages with `@register_stage` when imported (loaded once per process)."""
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        entry_point.load()


def language_name(code: str | None) -> str:
    if code is None:
        return "an undetected language"
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"
