"""Readers for fact-check collections, each yielding `FactCheck` records with stable ids.

Formats:
- `claimreview`: schema.org ClaimReview JSON-LD as fact-checkers publish it (one object, a list, `@graph`,
  or JSON Lines), and the Google Fact Check Tools API shape (`claims: [{text, claimant, claimReview: [...]}]`);
- `euvsdisinfo`: the EUvsDisinfo case list (`posts.csv`, optionally beside its `datapackage.json`);
- `narratives`: the pro-Kremlin narratives JSON (Narrative, Fakes, Disinfo_cases_en, Date, Media, Link, ...);
- `clef-vclaims`: CheckThat! 2020 Task 2 `verified_claims.docs.tsv` (id, vclaim, title).
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sourcetrace.analysis import stable_id
from sourcetrace.errors import InputError

FORMATS = ("claimreview", "euvsdisinfo", "narratives", "clef-vclaims")


@dataclass
class FactCheck:
    id: str
    collection: str
    claim: str
    title: str | None = None
    verdict: str | None = None
    date: str | None = None
    outlet: str | None = None  # who checked it (Snopes, EUvsDisinfo, a fact-checker)
    url: str | None = None
    claimant: str | None = None
    appeared_in: str | None = None  # outlets where the claim appeared
    narrative: str | None = None
    sub_narrative: str | None = None
    explanation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def find_collections(folder: Path) -> list[tuple[Path, str]]:
    """(file, format) of every collection under `folder`: EUvsDisinfo `posts.csv`, CheckThat! `verified_claims*.tsv`,
    narratives and ClaimReview `.json`/`.jsonl` files (a `datapackage.json` is the EUvsDisinfo list's description,
    not a collection). Other files (CheckThat! tweets, qrels) are left alone."""
    found: list[tuple[Path, str]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.name.lower()
        if name == "posts.csv":
            found.append((path, "euvsdisinfo"))
        elif name.startswith("verified_claims") and name.endswith(".tsv"):
            found.append((path, "clef-vclaims"))
        elif name.endswith((".json", ".jsonl")) and name != "datapackage.json":
            found.append((path, detect_format(path)))
    return found


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if path.is_dir() or name.endswith(".csv") or name == "datapackage.json":
        return "euvsdisinfo"
    if name.endswith(".tsv"):
        return "clef-vclaims"
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    if '"Narrative"' in head and "Disinfo_cases_en" in head:
        return "narratives"
    return "claimreview"


def read_factchecks(path: str | Path, fmt: str | None = None) -> Iterator[FactCheck]:
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    fmt = fmt or detect_format(path)
    readers = {"claimreview": read_claimreview, "euvsdisinfo": read_euvsdisinfo, "narratives": read_narratives,
               "clef-vclaims": read_clef_vclaims}
    if fmt not in readers:
        raise InputError(str(path), f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return readers[fmt](path)


# --- ClaimReview ----------------------------------------------------------------------------------------


def read_claimreview(path: Path) -> Iterator[FactCheck]:
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    objects: list[tuple[int | None, Any]] = []
    try:
        objects.append((None, json.loads(stripped)))
    except json.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(str(path), f"neither JSON nor JSON Lines ({exc.msg})", line=number) from None
    count = 0
    for line, item in objects:
        for review in _claimreview_objects(item):
            record = _claimreview_record(review)
            if record is None:
                continue
            count += 1
            yield record
        if line is None and count == 0:
            raise InputError(str(path), "no ClaimReview objects (with claimReviewed) found")


def _claimreview_objects(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, list):
        for element in item:
            yield from _claimreview_objects(element)
    elif isinstance(item, dict):
        if "@graph" in item:
            yield from _claimreview_objects(item["@graph"])
        elif "claims" in item and isinstance(item["claims"], list):  # Google Fact Check Tools API response
            for claim in item["claims"]:
                yield from _google_claim(claim)
        elif "claimReview" in item and "text" in item:
            yield from _google_claim(item)
        elif "claimReviewed" in item or str(item.get("@type", "")).endswith("ClaimReview"):
            yield item


def _google_claim(claim: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for review in claim.get("claimReview") or []:
        yield {
            "claimReviewed": claim.get("text"),
            "url": review.get("url"),
            "datePublished": review.get("reviewDate"),
            "headline": review.get("title"),
            "author": review.get("publisher") or {},
            "reviewRating": {"alternateName": review.get("textualRating")},
            "itemReviewed": {"author": {"name": claim.get("claimant")}, "datePublished": claim.get("claimDate")},
            "inLanguage": review.get("languageCode"),
        }


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return value.get("name") or value.get("site") or value.get("url")
    return str(value) if value else None


def _claimreview_record(review: dict[str, Any]) -> FactCheck | None:
    claim = (review.get("claimReviewed") or "").strip()
    if not claim:
        return None
    rating = review.get("reviewRating") or {}
    if isinstance(rating, list):
        rating = rating[0] if rating else {}
    verdict = rating.get("alternateName") or rating.get("ratingExplanation") or rating.get("name")
    if verdict is None and rating.get("ratingValue") is not None:
        verdict = f"{rating.get('ratingValue')}/{rating.get('bestRating', '?')}"
    item = review.get("itemReviewed") or {}
    if isinstance(item, list):
        item = item[0] if item else {}
    appearance = item.get("appearance") or item.get("firstAppearance")
    appeared_in = None
    if appearance:
        appearances = appearance if isinstance(appearance, list) else [appearance]
        appeared_in = "; ".join(filter(None, (a.get("url") if isinstance(a, dict) else str(a) for a in appearances)))
    url = review.get("url")
    return FactCheck(
        # The review's URL is its identity (a corrected claim text updates the record); the text when no URL.
        id=stable_id("fc", "claimreview", url) if url else stable_id("fc", "claimreview", "", claim),
        collection="claimreview",
        claim=claim,
        title=review.get("headline") or review.get("name"),
        verdict=str(verdict) if verdict else None,
        date=_iso_date(review.get("datePublished")),
        outlet=_name(review.get("author")) or _name(review.get("publisher")),
        url=url,
        claimant=_name(item.get("author")),
        appeared_in=appeared_in or None,
        extra={k: review[k] for k in ("inLanguage",) if review.get(k)},
    )


# --- EUvsDisinfo ----------------------------------------------------------------------------------------


def read_euvsdisinfo(path: Path) -> Iterator[FactCheck]:
    if path.is_dir():
        path = path / "posts.csv"
    elif path.name == "datapackage.json":
        package = json.loads(path.read_text(encoding="utf-8"))
        resource = next((r for r in package.get("resources", []) if r.get("name") == "posts"), None)
        path = path.parent / (resource or {}).get("path", "posts.csv")
    if not path.exists():
        raise InputError(str(path), "no such file (the EUvsDisinfo case list is posts.csv)")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = {"date", "id", "title"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(str(path), f"not an EUvsDisinfo case list: missing column(s) {', '.join(sorted(missing))}",
                             line=1)
        for number, row in enumerate(reader, start=2):
            title = (row.get("title") or "").strip()
            url = (row.get("id") or "").strip()
            if not title or not url:
                continue
            yield FactCheck(
                id=stable_id("fc", "euvsdisinfo", url),
                collection="euvsdisinfo",
                claim=title,
                verdict="disinformation",
                date=_iso_date(row.get("date")),
                outlet="EUvsDisinfo",
                url=url,
                appeared_in=_plus_list(row.get("outlets")),
                extra={"countries": _plus_list(row.get("countries")), "keywords": _plus_list(row.get("keywords")),
                       "languages": _plus_list(row.get("languages")), "line": number},
            )


def _plus_list(value: str | None) -> str | None:
    return "; ".join(part.strip() for part in value.split("+") if part.strip()) if value else None


# --- narratives ----------------------------------------------------------------------------------------


def read_narratives(path: Path) -> Iterator[FactCheck]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(data, list):
        raise InputError(str(path), "expected a JSON list of narrative cases")
    for number, case in enumerate(data, start=1):
        if not isinstance(case, dict) or "Narrative" not in case:
            raise InputError(str(path), "not a narratives case (no 'Narrative' field)", record=str(number))
        claim = (case.get("Disinfo_cases_en") or "").strip()
        if not claim:
            continue
        yield FactCheck(
            id=stable_id("fc", "narratives", case.get("id", number), claim),
            collection="narratives",
            claim=claim,
            title=(case.get("Fakes") or None),
            verdict="disinformation",
            date=_iso_date(case.get("Date"), day_first=True),
            outlet="propaganda-app narratives",
            url=case.get("Link") or None,
            appeared_in=case.get("Media") or None,
            narrative=(case.get("Narrative") or "").strip() or None,
            sub_narrative=(case.get("Fakes") or "").strip() or None,
            explanation=_strip_html(case.get("Debunking") or "")[:2000] or None,
            extra={"countries": case.get("Countries")},
        )


def _strip_html(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


# --- CheckThat! 2020 verified claims --------------------------------------------------------------------


def read_clef_vclaims(path: Path) -> Iterator[FactCheck]:
    with path.open(encoding="utf-8", newline="") as stream:
        # Fields holding quotes are CSV-quoted ("A ""dark white"" suspect"): the csv module undoes that.
        reader = csv.reader(stream, delimiter="\t")
        for parts in reader:
            number = reader.line_num
            if number == 1 and len(parts) >= 2 and parts[1] == "vclaim":
                continue
            if len(parts) < 2 or not parts[0].strip():
                if any(part.strip() for part in parts):
                    raise InputError(str(path), "expected id<TAB>vclaim<TAB>title", line=number)
                continue
            vclaim_id = parts[0].strip()
            yield FactCheck(
                id=stable_id("fc", "clef2020", vclaim_id),
                collection="clef2020",
                claim=parts[1].strip(),
                title=parts[2].strip() if len(parts) > 2 and parts[2].strip() else None,
                outlet="Snopes",
                extra={"vclaim_id": vclaim_id},
            )


def _iso_date(value: Any, day_first: bool = False) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        return match.group(0)
    match = re.match(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", text)
    if match:
        a, b, year = match.groups()
        day, month = (a, b) if day_first else (b, a)
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text[:10] or None
