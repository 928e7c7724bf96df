"""Pipeline settings: the options each stage gets, from a file (`--config FILE`) or a shipped profile (`--profile`).

A settings file is YAML (or JSON, which YAML reads too) mapping stage names to that stage's options:

    attribution: {tagger: false}
    factchecks: {threshold: 0.6, rerank: false}

Profiles are such files shipped in `sourcetrace/pipeline/profiles/` (`fast`: no per-word MiniLM pass).
Several sources merge stage by stage, later ones winning per option, so `--profile fast --config mine.yaml`
is the fast profile with your changes on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.registry import registered_stages, stage_settings
from sourcetrace.pipeline.run import LIMITS_SECTION, Limits

PROFILE_DIR = Path(__file__).parent / "profiles"

StageConfig = dict[str, dict[str, Any]]


def profile_names() -> list[str]:
    """The shipped profiles, by name."""
    return sorted(path.stem for path in PROFILE_DIR.glob("*.yaml"))


def load_profile(name: str) -> StageConfig:
    """A shipped profile's settings."""
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(profile_names()) or "none"
        raise ConfigurationError(f"unknown profile {name!r}; known: {known}")
    return load_config(path)


def load_config(path: Path) -> StageConfig:
    """Read a settings file; a file that is not a mapping of stage names to mappings is refused, naming the
    file and the line, so that a typo does not silently run the default pipeline."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path}: cannot read the settings file ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigurationError(f"{where}: not valid YAML or JSON ({error.problem or error.context})") from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"{path}: not valid YAML or JSON ({error})") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{path}: expected a mapping of stage names to options, found {type(data).__name__}")
    return validate_config(data, str(path), _line_numbers(text))


def validate_config(data: Mapping[str, Any], source: str = "<settings>",
                    lines: Mapping[str, int] | None = None) -> StageConfig:
    """Check that every key names a registered stage and every value is a mapping of options."""
    known = registered_stages()
    config: StageConfig = {}
    for stage, options in data.items():
        where = f"{source}:{lines[stage]}" if lines and stage in lines else source
        if stage not in known and stage != LIMITS_SECTION:
            raise ConfigurationError(
                f"{where}: unknown stage {stage!r}; known: {', '.join(known)} (and {LIMITS_SECTION})")
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise ConfigurationError(
                f"{where}: the options of stage {stage!r} must be a mapping (option: value), "
                f"found {type(options).__name__}"
            )
        try:  # each option checked against the stage's typed settings, so a typo names its file and line
            Limits.of(options, LIMITS_SECTION) if stage == LIMITS_SECTION else stage_settings(stage, options)
        except ConfigurationError as error:
            raise ConfigurationError(f"{where}: {error}") from None
        config[str(stage)] = dict(options)
    return config


def merge_configs(*configs: Mapping[str, Mapping[str, Any]] | None) -> StageConfig:
    """Stage by stage, option by option; later settings win."""
    merged: StageConfig = {}
    for config in configs:
        for stage, options in (config or {}).items():
            merged.setdefault(stage, {}).update(options)
    return merged


def _line_numbers(text: str) -> dict[str, int]:
    """The line of each top-level key, so that errors can point at it."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in root.value}


def settings_from_options(profile: str | None = None, config_file: Path | None = None,
                          extra: Mapping[str, Mapping[str, Any]] | None = None) -> StageConfig | None:
    """What the command-line options `--profile` and `--config` (and options of their own) ask for, merged in
    that order; None when nothing was asked (the default pipeline)."""
    parts = [
        load_profile(profile) if profile else None,
        load_config(config_file) if config_file is not None else None,
        extra,
    ]
    merged = merge_configs(*parts)
    return merged or None
