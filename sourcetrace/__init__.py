"""sourcetrace: who says what, through whom, with evidence offsets.

    >>> from sourcetrace import analyze
    >>> analysis = analyze("Officials said the bridge was closed.", published="2022-09-13")
"""

from __future__ import annotations

__version__ = "0.1.0"

from sourcetrace.api_python import analyze, analyze_batch, load_pipeline  # noqa: E402
from sourcetrace.model import Analysis, ArticleInfo, Span  # noqa: E402

__all__ = ["Analysis", "ArticleInfo", "Span", "__version__", "analyze", "analyze_batch", "load_pipeline"]
