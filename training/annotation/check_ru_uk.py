"""Validate the Russian/Ukrainian attribution development set and print its counts.

Each file in tests/data/attribution_ru_uk/ annotates one document that is read from the shared
data folder (the texts are not stored in the repository). The checks: the JSON form, the SHA-256 of
the text as read, every span inside the text (and inside the annotated part when `annotated_until`
is set), no empty or whitespace-padded spans, no span that cuts a word, and within one attribution
no crossing spans and no nesting other than the kinds the guidelines allow.

    python training/annotation/check_ru_uk.py [--data ../shared/data] [--dir tests/data/attribution_ru_uk]

Exit status 1 when any file has a problem; each problem is printed as one line naming the file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

KINDS = {"named", "description", "pronoun", "anonymous", "author", "other"}
SPAN_KEYS = ("source", "cue", "content", "channel")
ATTRIBUTION_KEYS = {"source", "cue", "content", "channel", "speaker", "kind"}
DOCUMENT_KEYS = {"id", "language", "origin", "text_sha256", "annotated_until", "attributions"}
DATASETS = {"semeval23-ru": ("ru", "semeval23-ru-"), "unlp2025": ("uk", "unlp2025-")}
REPO = Path(__file__).resolve().parents[2]


def load_posts(data: Path) -> dict[str, str]:
    """Post texts of the UNLP 2025 span-detection training file, by id."""
    import pyarrow.parquet as pq

    table = pq.read_table(data / "unlp2025" / "span_detection" / "train.parquet", columns=["id", "content"])
    return dict(zip(table.column("id").to_pylist(), table.column("content").to_pylist(), strict=True))


def document_text(document: dict, data: Path, posts: dict[str, str] | None) -> str:
    origin = document["origin"]
    if origin["dataset"] == "semeval23-ru":
        return (data / "semeval23" / "ru" / "articles" / origin["path_or_id"]).read_text(encoding="utf-8")
    if posts is None:
        raise ValueError("posts not loaded")
    return posts[origin["path_or_id"]]


def span_problems(name: str, span: object, text: str, limit: int) -> list[str]:
    if span is None:
        return []
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span)):
        return [f"{name}: not [start, end]: {span!r}"]
    start, end = span
    if not 0 <= start < end <= len(text):
        return [f"{name}: {span} outside the text (length {len(text)})"]
    if end > limit:
        return [f"{name}: {span} beyond annotated_until {limit}"]
    piece = text[start:end]
    if piece != piece.strip():
        return [f"{name}: {span} starts or ends with white space: {piece!r}"]
    cuts_word_at_start = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    cuts_word_at_end = end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    if cuts_word_at_start or cuts_word_at_end:
        return [f"{name}: {span} cuts a word: {piece!r}"]
    return []


def crossing(a: list[int], b: list[int]) -> bool:
    """True when the spans overlap without one containing the other."""
    overlap = a[0] < b[1] and b[0] < a[1]
    nested = (a[0] <= b[0] and b[1] <= a[1]) or (b[0] <= a[0] and a[1] <= b[1])
    return overlap and not nested


# (inner, outer) pairs that may nest: "по его словам" (source inside cue) and a parenthetical
# source, cue or channel inside the clause it attributes ("К союзу, уверен Лукашенко, будут ...").
ALLOWED_NESTING = {("source", "cue"), ("source", "content"), ("cue", "content"), ("channel", "content")}


def allowed_nesting(first: str, a: list[int], second: str, b: list[int]) -> bool:
    if b[0] <= a[0] and a[1] <= b[1] and (first, second) in ALLOWED_NESTING:
        return True
    return a[0] <= b[0] and b[1] <= a[1] and (second, first) in ALLOWED_NESTING


def attribution_problems(attribution: dict, text: str, limit: int) -> list[str]:
    problems: list[str] = []
    if set(attribution) != ATTRIBUTION_KEYS:
        return [f"keys {sorted(attribution)} differ from {sorted(ATTRIBUTION_KEYS)}"]
    if attribution["kind"] not in KINDS:
        problems.append(f"kind {attribution['kind']!r} not one of {sorted(KINDS)}")
    speaker = attribution["speaker"]
    if speaker is not None and not (isinstance(speaker, str) and speaker.strip()):
        problems.append(f"speaker {speaker!r} is neither null nor a name")
    if attribution["content"] is None:
        problems.append("content is null")
    for key in SPAN_KEYS:
        problems += span_problems(key, attribution[key], text, limit)
    if problems:
        return problems
    spans = {key: attribution[key] for key in SPAN_KEYS if attribution[key] is not None}
    keys = list(spans)
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            a, b = spans[first], spans[second]
            if crossing(a, b):
                problems.append(f"{first} {a} and {second} {b} cross")
            elif a[0] < b[1] and b[0] < a[1] and not allowed_nesting(first, a, second, b):
                problems.append(f"{first} {a} and {second} {b} overlap in a way the guidelines do not allow")
    return problems


def document_problems(document: dict, text: str) -> list[str]:
    if set(document) != DOCUMENT_KEYS:
        return [f"keys {sorted(document)} differ from {sorted(DOCUMENT_KEYS)}"]
    origin = document["origin"]
    problems: list[str] = []
    if origin.get("dataset") not in DATASETS:
        return [f"unknown dataset {origin.get('dataset')!r}"]
    language, prefix = DATASETS[origin["dataset"]]
    if document["language"] != language:
        problems.append(f"language {document['language']!r}, expected {language!r}")
    expected_id = prefix + (
        origin["path_or_id"].removeprefix("article").removesuffix(".txt")
        if origin["dataset"] == "semeval23-ru"
        else origin["path_or_id"]
    )
    if document["id"] != expected_id:
        problems.append(f"id {document['id']!r}, expected {expected_id!r}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if document["text_sha256"] != digest:
        problems.append("text_sha256 does not match the text as read")
    until = document["annotated_until"]
    if until is not None and not (isinstance(until, int) and 0 < until <= len(text)):
        problems.append(f"annotated_until {until!r} not within the text")
        until = None
    limit = until if until is not None else len(text)
    seen: set[str] = set()
    for index, attribution in enumerate(document["attributions"]):
        for problem in attribution_problems(attribution, text, limit):
            problems.append(f"attribution {index}: {problem}")
        key = json.dumps(attribution, sort_keys=True, ensure_ascii=False)
        if key in seen:
            problems.append(f"attribution {index}: duplicate")
        seen.add(key)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--dir", type=Path, default=REPO / "tests" / "data" / "attribution_ru_uk")
    args = parser.parse_args()
    files = sorted(args.dir.glob("*.json"))
    if not files:
        print(f"{args.dir}: no annotation files", file=sys.stderr)
        return 1
    documents = {path: json.loads(path.read_text(encoding="utf-8")) for path in files}
    needs_posts = any(d.get("origin", {}).get("dataset") == "unlp2025" for d in documents.values())
    posts = load_posts(args.data) if needs_posts else None
    failed = 0
    documents_per_language: Counter[str] = Counter()
    attributions_per_language: Counter[str] = Counter()
    kinds: Counter[tuple[str, str]] = Counter()
    slots: Counter[tuple[str, str]] = Counter()
    for path, document in documents.items():
        try:
            text = document_text(document, args.data, posts)
            problems = document_problems(document, text)
        except (KeyError, OSError, TypeError, ValueError) as error:
            problems = [f"cannot read: {error!r}"]
        for problem in problems:
            print(f"{path.name}: {problem}")
        if problems:
            failed += 1
            continue
        language = document["language"]
        documents_per_language[language] += 1
        for attribution in document["attributions"]:
            attributions_per_language[language] += 1
            kinds[(language, attribution["kind"])] += 1
            for key in ("source", "cue", "channel"):
                if attribution[key] is not None:
                    slots[(language, key)] += 1
    for language in sorted(documents_per_language):
        per_kind = ", ".join(f"{kind} {kinds[(language, kind)]}" for kind in sorted(KINDS) if kinds[(language, kind)])
        with_slots = ", ".join(f"{key} {slots[(language, key)]}" for key in ("source", "cue", "channel"))
        print(
            f"{language}: {documents_per_language[language]} documents, "
            f"{attributions_per_language[language]} attributions ({per_kind}); with {with_slots}"
        )
    print(f"{len(files) - failed} of {len(files)} files valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
