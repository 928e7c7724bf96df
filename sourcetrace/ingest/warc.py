"""WARC web archives (`.warc`, `.warc.gz`): every HTML response becomes an article, with the record's URL.

The main text and metadata come from the HTML as for `.html` files (trafilatura); when the page states no
publication date, the record's capture date (`WARC-Date`) stands in. Requests, metadata and non-HTML
responses (images, scripts) are skipped; a response that yields no text is reported with its URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, charset_of_content_type, declared_charset, decode, normalise_date
from sourcetrace.ingest.html import extract

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _record_id(raw: str | None, fallback: str) -> str:
    if not raw:
        return fallback
    value = raw.strip("<>")
    return value.removeprefix("urn:uuid:")


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    responses = 0
    number = 0
    iterator = ArchiveIterator(stream, check_digests=True)
    try:
        for record in iterator:
            number += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            where = f"{source} ({url})" if url else source
            record_id = _record_id(record.rec_headers.get_header("WARC-Record-ID"), f"{article_id}-{number}")
            payload = record.content_stream().read()  # read whole so that the digest is checked
            if _truncated(record):
                yield InputError(where, f"record {number} is truncated or corrupt (its digest does not match)",
                                 record=record_id)
                continue
            if record.rec_type != "response" or not _is_html_ok(record):
                continue
            responses += 1
            try:
                # the HTTP header's charset comes first, as in a browser; then the page's own
                content_type = record.http_headers.get_header("Content-Type")
                declared = charset_of_content_type(content_type) or declared_charset(payload)
                html = decode(payload, where, declared=declared)
                article = extract(html, where, record_id, options, url=url)
                if article.published is None:
                    article.published = normalise_date(record.rec_headers.get_header("WARC-Date"), where)
                yield article
            except InputError as error:
                error.record = record_id
                yield error
    except ArchiveLoadFailed as exc:
        yield InputError(source, f"not a readable WARC file after record {number} ({str(exc)[:120]})")
        return
    except Exception as exc:  # noqa: BLE001 - warcio fails in many ways on a cut or corrupt archive
        yield InputError(source, f"the archive breaks off after record {number} ({type(exc).__name__})")
        return
    if responses == 0:
        yield InputError(source, "no HTML responses in this WARC file")


def _is_html_ok(record: object) -> bool:
    headers = record.http_headers  # type: ignore[attr-defined]
    if headers is None:
        return False
    status = str(headers.get_statuscode() or "")
    content_type = (headers.get_header("Content-Type") or "").lower()
    return status.startswith("2") and any(kind in content_type for kind in _HTML_TYPES)


def _truncated(record: object) -> bool:
    """A record whose stated digest cannot be confirmed was cut off (or damaged) on the way."""
    has_digest = record.rec_headers.get_header("WARC-Block-Digest") is not None  # type: ignore[attr-defined]
    passed = getattr(getattr(record, "digest_checker", None), "passed", None)
    return passed is False or (has_digest and passed is None)
