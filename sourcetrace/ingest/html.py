"""HTML pages: main text and metadata (title, date, outlet, URL) extracted with trafilatura."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import trafilatura

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadArticle, ReadOptions, declared_charset, decode, normalise_date

MIN_WORDS = 4


def extract(html: str, source: str, article_id: str, options: ReadOptions, url: str | None = None) -> ReadArticle:
    """The main text of an HTML page as an article; InputError when the page has none."""
    try:
        extracted = trafilatura.bare_extraction(
            html, url=options.url or url, with_metadata=True, include_comments=False
        )
    except Exception as exc:  # trafilatura/lxml raise many kinds on broken markup
        raise InputError(source, f"cannot parse the HTML ({type(exc).__name__})") from None
    result = extracted.as_dict() if hasattr(extracted, "as_dict") else (extracted or {})
    text = result.get("text") or ""
    # trafilatura falls back to any text it finds (a menu, a footer): a few words are not an article
    if len(text.split()) < MIN_WORDS:
        raise InputError(source, "the HTML page has no main text that could be extracted")
    warnings: list[str] = []
    if options.published:
        published = normalise_date(options.published, source)
    else:
        try:
            published = normalise_date(result.get("date"), source)
        except InputError as error:
            published = None
            warnings.append(f"the page's date: {error.message}; the article is stored without a date")
    return ReadArticle(
        id=article_id,
        text=text,
        title=result.get("title") or None,
        published=published,
        outlet=options.outlet or result.get("sitename") or None,
        url=options.url or url or result.get("url") or None,
        warnings=warnings,
        source=source,
    )


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    try:
        data = stream.read()
        html = decode(data, source, declared=declared_charset(data))
        yield extract(html, source, article_id, options)
    except InputError as error:
        yield error
