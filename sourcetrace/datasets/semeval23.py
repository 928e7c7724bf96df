"""Reading SemEval-2023 Task 3 span data: a folder with `articles/` (`article<ID>.txt`) and `spans/` (per-article
files, lines `ID<TAB>technique<TAB>start<TAB>end`, offsets into the article text as read), for any language."""

from __future__ import annotations

from pathlib import Path

from sourcetrace.datasets.ptc import read_articles, read_labels
from sourcetrace.errors import InputError


def read_spans(folder: Path) -> dict[str, list[tuple[str, int, int]]]:
    """The span labels of every file in `folder` (`*.txt` or `*.labels`), by article id."""
    return read_labels(folder, patterns=("*.txt", "*.labels"))


def read_semeval23(folder: Path) -> tuple[dict[str, str], dict[str, list[tuple[str, int, int]]]]:
    """(texts by id, gold spans by id) of a SemEval-2023 folder; every article is present in the gold, with no
    spans when its file is empty or missing. A span reaching past its article's end is cut there (a few Russian
    files were counted on a longer copy of the text)."""
    folder = Path(folder)
    if not (folder / "articles").is_dir() or not (folder / "spans").is_dir():
        raise InputError(str(folder), "not a SemEval-2023 folder (articles/ and spans/)")
    texts = read_articles(folder / "articles")
    found = read_spans(folder / "spans")
    gold = {}
    for article_id, text in texts.items():
        gold[article_id] = [(technique, start, min(end, len(text))) for technique, start, end in
                             found.get(article_id, []) if start < len(text)]
    return texts, gold
