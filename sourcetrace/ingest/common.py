"""What every reader shares: decoding bytes, dates, field names, and the record-to-article step."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from charset_normalizer import from_bytes

from sourcetrace.errors import InputError
from sourcetrace.model import ArticleInfo

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FieldMap:
    """Which record fields hold what (configurable for JSONL, CSV, Parquet)."""

    id: str = "id"
    text: str = "text"
    title: str = "title"
    published: str = "published"
    outlet: str = "outlet"
    url: str = "url"


@dataclass(frozen=True)
class ReadOptions:
    fields: FieldMap = field(default_factory=FieldMap)
    # Values given on the command line override what the input says.
    published: str | None = None
    outlet: str | None = None
    url: str | None = None


def decode(data: bytes, source: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else a detected encoding, else a clear error."""
    if not data.strip():
        raise InputError(source, "the file is empty")
    has_utf16_bom = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    if b"\x00" in data[:8192] and not has_utf16_bom:
        raise InputError(source, "this looks like a binary file, not text (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise InputError(source, "cannot detect the text encoding; convert the file to UTF-8") from None
        text = str(best)
    if not text.strip():
        raise InputError(source, "the file is empty (no text after decoding)")
    if len(_CONTROL.findall(text[:8192])) > max(8, len(text[:8192]) // 50):
        raise InputError(source, "this looks like a binary file, not text (too many control characters)")
    return text


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y")


def normalise_date(value: Any, source: str, line: int | None = None) -> str | None:
    """A publication date as YYYY-MM-DD; a value that is not a date is an error, never silently dropped."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise InputError(source, f"cannot read the date {text[:40]!r}; use YYYY-MM-DD", line=line)


def headline_of(text: str) -> str | None:
    """A short first line followed by more text reads as the headline."""
    first_line, _, rest = text.strip().partition("\n")
    return first_line.strip() if rest.strip() and len(first_line) <= 200 else None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def record_to_article(
    record: dict[str, Any], source: str, options: ReadOptions, line: int | None, fallback_id: str
) -> ArticleInfo:
    """One JSONL/CSV/Parquet record as an article, or an InputError that names the record."""
    fields = options.fields
    record_id = _clean(record.get(fields.id)) or fallback_id
    text = record.get(fields.text)
    if text is None:
        raise InputError(source, f"the record has no {fields.text!r} field", line=line, record=record_id)
    if not isinstance(text, str):
        raise InputError(source, f"the {fields.text!r} field is not a string", line=line, record=record_id)
    if not text.strip():
        raise InputError(source, f"the {fields.text!r} field is empty", line=line, record=record_id)
    if "\x00" in text:
        raise InputError(source, "the text contains NUL bytes", line=line, record=record_id)
    return ArticleInfo(
        id=record_id,
        text=text,
        title=_clean(record.get(fields.title)),
        published=normalise_date(options.published or record.get(fields.published), source, line),
        outlet=options.outlet or _clean(record.get(fields.outlet)),
        url=options.url or _clean(record.get(fields.url)),
    )
