"""The Python API behind every shell: analyze() one text, analyze_batch() many records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.pipeline.settings import validate_config

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def make_article(
    text: str,
    *,
    id: str | None = None,
    title: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    language: str | None = None,
) -> ArticleInfo:
    """An article record; the id defaults to a hash of the text so that it is stable."""
    # lazy: the readers pull in trafilatura and dateparser, which `import sourcetrace` does not need
    from sourcetrace.ingest.common import headline_of, normalise_date

    if not text or not text.strip():
        raise InputError(id or "<text>", "the article text is empty")
    surrogate = _LONE_SURROGATE.search(text)
    if surrogate is not None:  # not Unicode text: it cannot be written as UTF-8 JSON
        raise InputError(id or "<text>", f"the text holds a lone surrogate code point (U+{ord(surrogate.group()):04X}) "
                         f"at character {surrogate.start()}: decode the input with errors='replace' first")
    return ArticleInfo(
        id=id or "txt_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12],
        text=text,
        title=title if title is not None else headline_of(text),
        published=normalise_date(published, id or "<text>") if published else None,
        outlet=outlet,
        url=url,
        language=language,
    )


def analyze(
    text: str,
    *,
    id: str | None = None,
    title: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    stages: Sequence[str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    language: str | None = None,
) -> Analysis:
    """Analyse one article's text and return its `Analysis`. `config`: stage settings, as in a `--config`
    file (`sourcetrace.pipeline.settings.load_profile("fast")` is the fast profile). `language`: ISO 639-1
    code instead of the detected language ("ru", "uk": the Russian or Ukrainian backbone)."""
    article = make_article(text, id=id, title=title, published=published, outlet=outlet, url=url,
                           language=language)
    return load_pipeline(stages, _checked(config)).analyze(article)


def analyze_batch(
    articles: Sequence[ArticleInfo],
    stages: Sequence[str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Analysis]:
    """Analyse a batch of article records: the function every corpus engine calls."""
    return load_pipeline(stages, _checked(config)).analyze_batch(list(articles))


def _checked(config: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
    return validate_config(config, "config") if config else None


__all__ = ["analyze", "analyze_batch", "load_pipeline", "make_article"]
