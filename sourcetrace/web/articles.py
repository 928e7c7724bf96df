"""Articles from HTTP requests: a JSON body, a raw text or HTML body, or a form with a pasted text or an uploaded
file, each decoded and turned into an article record (an InputError or HTTP error with a clear message
otherwise)."""

from __future__ import annotations

import codecs
import hashlib
from typing import Any, Literal

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sourcetrace.analysis import ArticleInfo
from sourcetrace.api import make_article
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, decode, normalise_date
from sourcetrace.ingest.html import extract

InputKind = Literal["auto", "text", "html"]


class AnalyzeRequest(BaseModel):
    """The JSON body of `POST /api/analyze`: exactly one of `text` or `html`, plus optional metadata."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="the article as plain text")
    html: str | None = Field(default=None, description="the article as an HTML page; its main text is extracted")
    id: str | None = Field(default=None, description="article id; default: a hash of the text")
    title: str | None = None
    published: str | None = Field(default=None, description="publication date, YYYY-MM-DD")
    outlet: str | None = None
    url: str | None = Field(default=None, description="the article's URL, kept as metadata: never fetched")


class ErrorBody(BaseModel):
    detail: str


# --------------------------------------------------------------------------------------------------
# ASGI middlewares: security headers on every response, and the request size limit.


def looks_like_html(text: str, filename: str | None = None) -> bool:
    if filename and filename.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "<head" in head)


def build_article(
    raw: str,
    kind: InputKind,
    *,
    source: str,
    article_id: str | None = None,
    title: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    filename: str | None = None,
) -> ArticleInfo:
    """An article from pasted or uploaded text or HTML; InputError with a clear message otherwise."""
    title, published, outlet, url, article_id = (
        (value.strip() or None) if isinstance(value, str) else value
        for value in (title, published, outlet, url, article_id)
    )
    if not raw or not raw.strip():
        raise InputError(source, "the article text is empty")
    published = normalise_date(published, "published") if published else None
    if kind == "html" or (kind == "auto" and looks_like_html(raw, filename)):
        options = ReadOptions(published=published, outlet=outlet, url=url)
        digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        article = extract(raw, source, article_id or f"html_{digest}", options)
        if title:
            article = article.model_copy(update={"title": title})
        return article
    return make_article(raw, id=article_id, title=title, published=published, outlet=outlet, url=url)


def decode_upload(data: bytes, source: str, charset: str | None = None) -> str:
    """Bytes to text: with the charset the client named, else UTF-8 or a detected encoding."""
    if charset is None:
        return decode(data, source)
    if not data.strip():
        raise InputError(source, "the article text is empty")
    # the UTF-8 codec that also drops a byte-order mark, as the detecting path does
    codec = "utf-8-sig" if codecs.lookup(charset).name == "utf-8" else charset
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise InputError(source, f"the text is not valid {charset} (byte {error.start}: {error.reason}); "
                                 "name the charset it is written in") from None
    if "\x00" in text[:8192]:
        raise InputError(source, "this looks like binary data, not text (it contains NUL characters)")
    return text


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any; HTTPException 415 when Python knows no such
    text encoding."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            continue
        value = value.strip().strip('"').strip()
        if not value:
            return None
        try:
            known = codecs.lookup(value)._is_text_encoding  # base64, rot13 and the like are not text encodings
        except LookupError:
            known = False
        if not known:
            raise HTTPException(415, f"unsupported charset {value!r}: send UTF-8, or name an encoding such as "
                                     "latin-1, windows-1252 or utf-16")
        return value
    return None


# --------------------------------------------------------------------------------------------------
# The app.


def first_line(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(describe_validation(problem) for problem in errors()[:3])
    return str(error).splitlines()[0]


async def article_from_request(request: Request) -> ArticleInfo:
    content_type_header = request.headers.get("content-type", "")
    content_type = content_type_header.split(";")[0].strip().lower()
    charset = charset_of(content_type_header)
    query = request.query_params
    meta = {key: query.get(key) for key in ("title", "published", "outlet", "url")}
    try:
        if content_type == "application/json":
            body: bytes | str = await request.body()
            if charset is not None:
                body = decode_upload(body, "request body", charset)
            try:
                payload = AnalyzeRequest.model_validate_json(body)
            except ValidationError as error:
                if any(problem.get("type") == "json_invalid" for problem in error.errors()):
                    raise HTTPException(400, "the body is not valid JSON: " + first_line(error)) from None
                raise HTTPException(422, "the JSON body is not an analyse request: "
                                    + first_line(error)) from None
            if (payload.text is None) == (payload.html is None):
                raise HTTPException(422, 'give exactly one of "text" or "html"')
            return build_article(
                payload.text if payload.text is not None else payload.html,
                "text" if payload.text is not None else "html", source="request",
                article_id=payload.id, title=payload.title, published=payload.published,
                outlet=payload.outlet, url=payload.url)
        if content_type in ("text/plain", "text/html", ""):
            raw = decode_upload(await request.body(), "request body", charset)
            return build_article(raw, "html" if content_type == "text/html" else "text", source="request body",
                                 article_id=query.get("id"), **meta)
        if content_type == "multipart/form-data":
            return await article_from_form(request, "request")
    except InputError as error:
        raise HTTPException(422, str(error)) from None
    raise HTTPException(415, f"unsupported content type {content_type!r}: send application/json, text/plain, "
                             "text/html or multipart/form-data")


async def article_from_form(request: Request, source: str) -> ArticleInfo:
    form = await request.form()
    upload = form.get("file")
    kind = str(form.get("format") or "auto")
    if kind not in ("auto", "text", "html"):
        raise HTTPException(422, f"format must be auto, text or html, not {kind!r}")
    fields = {key: (str(form.get(key)) if form.get(key) is not None else None)
              for key in ("title", "published", "outlet", "url")}
    fields["article_id"] = str(form.get("id")) if form.get("id") else None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        name = upload.filename
        charset = charset_of(upload.headers.get("content-type", "")) if upload.headers else None
        raw = decode_upload(await upload.read(), name, charset)
        return build_article(raw, kind, source=name, filename=name, **fields)  # type: ignore[arg-type]
    # Browsers submit a textarea's line breaks as CRLF; the article the user pasted had plain newlines.
    text = str(form.get("text") or "").replace("\r\n", "\n")
    return build_article(text, kind, source=source, **fields)  # type: ignore[arg-type]


def describe_validation(problem: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body",))
    return f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid"))
