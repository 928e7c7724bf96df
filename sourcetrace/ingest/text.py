"""Plain-text articles: the whole file is the article; a short first line is taken as the title."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadArticle, ReadOptions, decode, headline_of, normalise_date


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    try:
        text = decode(stream.read(), source)
    except InputError as error:
        yield error
        return
    title = headline_of(text)
    try:
        published = normalise_date(options.published, source)
    except InputError as error:
        yield error
        return
    yield ReadArticle(
        id=article_id, text=text, title=title, published=published, outlet=options.outlet, url=options.url,
        source=source,
    )
