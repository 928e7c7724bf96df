"""Reading the Propaganda Techniques Corpus (SemEval-2020 Task 11) and its fixed held-out split."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sourcetrace.errors import InputError

HELDOUT_FILE = Path(__file__).resolve().parent / "splits" / "ptc_heldout.txt"


def heldout_ids() -> set[str]:
    """PTC article ids that training never sees."""
    return {
        line.strip() for line in HELDOUT_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def read_articles(folder: Path) -> dict[str, str]:
    """`article<ID>.txt` files of a folder, by ID."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder of article<ID>.txt files")
    articles = {}
    for path in sorted(folder.glob("article*.txt")):
        article_id = path.stem[len("article"):]
        articles[article_id] = path.read_text(encoding="utf-8")
    if not articles:
        raise InputError(str(folder), "no article<ID>.txt files in this folder")
    return articles


def read_labels(path: Path, patterns: tuple[str, ...] = ("*.labels",)) -> dict[str, list[tuple[str, int, int]]]:
    """Labels `ID<TAB>technique<TAB>start<TAB>end` from one file or a folder of files matching `patterns`."""
    path = Path(path)
    files = sorted(f for pattern in patterns for f in path.glob(pattern)) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise InputError(str(path), "no labels file (ID<TAB>technique<TAB>start<TAB>end) here")
    labels: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 3:  # span-identification labels: no technique column
                fields = [fields[0], "", fields[1], fields[2]]
            if len(fields) != 4:
                raise InputError(str(file), f"expected ID<TAB>technique<TAB>start<TAB>end, got {len(fields)} fields",
                                 line=number)
            try:
                start, end = int(fields[2]), int(fields[3])
            except ValueError:
                raise InputError(str(file), "start and end must be integers", line=number) from None
            if end < start or start < 0:
                raise InputError(str(file), f"bad span [{start}, {end})", line=number)
            labels[fields[0]].append((fields[1].strip(), start, end))
    return dict(labels)
