"""What every reader shares: decoding bytes, dates, field names, and the record-to-article step."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from charset_normalizer import from_bytes
from pydantic import Field

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError

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


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# `<meta charset=...>`, `<meta http-equiv="Content-Type" content="...; charset=...">`, `<?xml encoding=...?>`
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_PRESCAN_BYTES = 4096

# Labels that browsers read as windows-1252 (WHATWG Encoding): pages that say Latin-1 use its extra characters.
_READ_AS_CP1252 = {"latin_1", "iso8859_1", "ascii", "cp1252"}
# The legacy code pages undeclared non-UTF-8 text is most likely in; the detector may add one more. KOI8-U
# reads Russian as KOI8-R does and Ukrainian's і, ї, є, ґ as well.
_LIKELY_CODE_PAGES = ("cp1252", "cp1251", "koi8_r", "koi8_u")
_SCORED_CHARS = 65536


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML or XML document declares near its start, as written there; None if none."""
    head = data[:_PRESCAN_BYTES]
    found = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if found is None:
        return None
    return found.group(1).decode("ascii").strip(".:-") or None


def charset_of_content_type(value: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type header (`text/html; charset=windows-1251`)."""
    found = re.search(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", value or "", re.IGNORECASE)
    return found.group(1) if found else None


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label.strip()).name.replace("-", "_")
    except LookupError:
        return None


def _decode_declared(data: bytes, label: str) -> str | None:
    """Bytes in the encoding their document declares; None when the label is unknown or does not fit the bytes
    (a page saved again in another encoding keeps its old declaration)."""
    name = _codec_name(label)
    if name is None:
        return None
    if name.startswith(("utf_16", "utf_32")):
        name = "utf_8"  # a declaration inside the document can only be read if it is ASCII-compatible
    if name in _READ_AS_CP1252:
        name = "cp1252"
    for candidate in (name, "latin_1") if name == "cp1252" else (name,):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return None


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0]


def implausibility(text: str) -> float:
    """How unlike written language a decoding looks, per word: words mixing scripts (`ministиre`) or cases
    (`оРХБЕР`), Latin words made mostly of accented letters (`Ìèíèñòåðñòâî`), symbols and control characters
    inside prose. A wrong code page produces these; the right one almost never does."""
    sample = text[:_SCORED_CHARS]
    odd = 0
    words = re.findall(r"[^\W\d_]+", sample)
    for word in words:
        scripts = {_script(char) for char in word}
        if len(scripts) > 1:
            odd += 1
        elif len(word) > 1 and not (word.islower() or word.isupper() or word.istitle()):
            odd += 1
        elif scripts == {"LATIN"} and len(word) >= 4 and sum(not char.isascii() for char in word) * 2 > len(word):
            odd += 1
    for char in sample:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Co", "Cn", "So", "Sk"):
            odd += 1
    return odd / max(1, len(words))


def _decode_undeclared(data: bytes, source: str) -> str:
    """Bytes that are not UTF-8 and declare nothing: the likely code pages and the detector's guess, decoded,
    and the most plausible kept. Ties go to windows-1252: on a short text the detector cannot tell code pages
    apart (it reads `ministère` as Central European `ministčre`), and Western text is the commonest case."""
    candidates = list(_LIKELY_CODE_PAGES)
    best = from_bytes(data[:_SCORED_CHARS * 2]).best()
    if best is not None:
        guessed = _codec_name(best.encoding)
        if guessed is not None and guessed not in candidates:
            candidates.append(guessed)
    decodings: list[tuple[float, int, str]] = []
    for order, name in enumerate(candidates):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        decodings.append((implausibility(text), order, text))
    if not decodings:
        try:  # windows-1252 leaves five bytes undefined; Latin-1 reads every byte
            return data.decode("latin_1")
        except UnicodeDecodeError:
            raise InputError(source, "cannot detect the text encoding; convert the file to UTF-8") from None
    return min(decodings)[2]


def decode(data: bytes, source: str, declared: str | None = None) -> str:
    """Bytes to text: a byte-order mark, else the encoding the document declares (`declared`: an HTTP header's
    or the page's own charset) unless the bytes are non-ASCII valid UTF-8, else strict UTF-8, else the most
    plausible legacy code page; else a clear error."""
    if not data.strip():
        raise InputError(source, "the file is empty")
    bom_encoding = next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)
    if bom_encoding is None and b"\x00" in data[:8192]:
        raise InputError(source, "this looks like a binary file, not text (it contains NUL bytes)")
    text: str | None = None
    if bom_encoding is not None:
        try:
            text = data.decode(bom_encoding)
        except UnicodeDecodeError:
            raise InputError(source, f"the text is not valid {bom_encoding.removesuffix('-sig').upper()} "
                             "although it starts with that byte-order mark") from None
    if text is None:
        try:
            utf8: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            utf8 = None
        # Non-ASCII bytes that are valid UTF-8 are UTF-8 whatever the page says: a page saved again as UTF-8
        # often keeps its old declaration, and text in a legacy code page is almost never valid UTF-8.
        if declared and (utf8 is None or utf8.isascii()):
            text = _decode_declared(data, declared)
        if text is None:
            text = utf8 if utf8 is not None else _decode_undeclared(data, source)
    if not text.strip():
        raise InputError(source, "the file is empty (no text after decoding)")
    if len(_CONTROL.findall(text[:8192])) > max(8, len(text[:8192]) // 50):
        raise InputError(source, "this looks like a binary file, not text (too many control characters)")
    return text


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _day_or_month_first(text: str) -> dt.date | None:
    """15/03/2024 and 03/15/2024 say which number is the day; 05/03/2024 does not, and is not guessed."""
    found = _NUMERIC_DATE.fullmatch(text)
    if found is None:
        return None
    first, second, year = (int(part) for part in found.groups())
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        day, month = second, first
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def normalise_date(value: Any, source: str, line: int | None = None, record: str | None = None) -> str | None:
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
    unambiguous = _day_or_month_first(text)
    if unambiguous is not None:
        return unambiguous.isoformat()
    raise InputError(source, f"cannot read the date {text[:40]!r}; use YYYY-MM-DD", line=line, record=record)


class ReadArticle(ArticleInfo):
    """An article as a reader made it: where it came from, for error reports, and what was wrong in its record
    but did not stop it (a date that cannot be read), which the analysis reports in `meta.warnings`. These
    fields are not part of the serialised article."""

    warnings: list[str] = Field(default_factory=list, exclude=True)
    source: str | None = Field(default=None, exclude=True, description="the file (or URL) it was read from")
    line: int | None = Field(default=None, exclude=True, description="its line or row in that file")


def input_warnings(article: ArticleInfo) -> list[str]:
    """The reader's warnings about an article (none for an article built by hand)."""
    return list(getattr(article, "warnings", None) or [])


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
) -> ReadArticle:
    """One JSONL/CSV/Parquet record as an article, or an InputError that names the record. A date that cannot
    be read leaves the article undated, with a warning, rather than losing it."""
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
    warnings: list[str] = []
    if options.published:  # given on the command line: a mistake there is an error for every record
        published = normalise_date(options.published, source, line, record_id)
    else:
        try:
            published = normalise_date(record.get(fields.published), source, line, record_id)
        except InputError as error:
            published = None
            warnings.append(f"{fields.published}: {error.message}; the article is stored without a date")
    return ReadArticle(
        id=record_id,
        text=text,
        title=_clean(record.get(fields.title)),
        published=published,
        outlet=options.outlet or _clean(record.get(fields.outlet)),
        url=options.url or _clean(record.get(fields.url)),
        warnings=warnings,
        source=source,
        line=line,
    )
