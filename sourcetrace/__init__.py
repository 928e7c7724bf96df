"""sourcetrace: who says what, through whom, with evidence offsets.

    >>> from sourcetrace import analyze
    >>> analysis = analyze("Officials said the bridge was closed.", published="2022-09-13")
"""

from __future__ import annotations

from sourcetrace import errors
from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis, ArticleInfo, Span
from sourcetrace.api import analyze, analyze_batch, load_pipeline, make_article
from sourcetrace.pipeline.settings import load_profile

__all__ = ["Analysis", "ArticleInfo", "Span", "__version__", "analyze", "analyze_batch", "errors", "load_pipeline",
           "load_profile", "make_article"]
