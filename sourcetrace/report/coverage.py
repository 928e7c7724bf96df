"""What an analysis did not cover, in words every report shows first: the language it was read as, the stages
that did not run for it (and why), and the stages that failed on it."""

from __future__ import annotations

from sourcetrace.analysis import Analysis
from sourcetrace.pipeline.registry import LANGUAGE_REASON, language_name


def coverage_notes(analysis: Analysis) -> list[str]:
    """One line per problem; empty when every stage ran on an article in a language it supports."""
    meta = analysis.meta
    notes: list[str] = []
    language = meta.language or analysis.article.language
    by_language = [p.stage for p in meta.skipped_stages if p.reason.startswith(LANGUAGE_REASON)]
    if by_language:
        notes.append(f"Language: {language_name(language)}. Not analysed for this language: "
                     f"{', '.join(by_language)} (their layers are empty).")
    for problem in meta.failed_stages:
        notes.append(f"Failed: {problem.stage}: {problem.reason}")
    for problem in meta.skipped_stages:
        if problem.stage not in by_language:
            notes.append(f"Skipped: {problem.stage}: {problem.reason}")
    notes.extend(f"Warning: {warning}" for warning in meta.warnings)
    return notes


def failure_lines(analysis: Analysis) -> list[str]:
    """One-line errors naming the article, the stage and the cause, for the failures of an analysis."""
    return [f"{analysis.article.id}: stage {p.stage} failed: {p.reason}" for p in analysis.meta.failed_stages]
