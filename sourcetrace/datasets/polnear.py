"""Reading PolNeAR-style brat standoff: `DIR/text/NAME.txt` and `DIR/attributions/NAME_ANNOTATOR.ann`.

An `.ann` file has `T` lines (`T3<TAB>Source 335 385<TAB>surface text`; a discontinuous span lists
`start end;start end`) and `E` lines joining them into one attribution
(`E1<TAB>Attribution:T4 Source:T3 Content:T2 Cue:T1`, or `Attribution-no-source:...`). `Discuss` and
`Discard` annotations and annotator notes (`#` lines) are ignored. A span role that is repeated in an event
(`Content2`) counts as another fragment of the same role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sourcetrace.errors import InputError

ROLES = ("source", "cue", "content")
_ID_LINE = re.compile(r"^[TE]\d+\t")
_ROLE_OF_LABEL = {"Source": "source", "Cue": "cue", "Content": "content"}


@dataclass
class GoldAttribution:
    """One annotated attribution: each role is a list of [start, end) fragments (empty when absent)."""

    source: list[tuple[int, int]] = field(default_factory=list)
    cue: list[tuple[int, int]] = field(default_factory=list)
    content: list[tuple[int, int]] = field(default_factory=list)

    def role(self, name: str) -> list[tuple[int, int]]:
        return getattr(self, name)


@dataclass
class AnnotatedArticle:
    name: str
    annotator: str
    text: str
    attributions: list[GoldAttribution]
    ann_path: Path


def _parse_ranges(value: str, path: Path, line_no: int) -> list[tuple[int, int]]:
    pieces = []
    for chunk in value.split(";"):
        bounds = chunk.split()
        if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
            raise InputError(str(path), f"bad brat offsets {value!r}", line=line_no)
        pieces.append((int(bounds[0]), int(bounds[1])))
    return pieces


def read_ann(path: Path, text: str) -> list[GoldAttribution]:
    """The attributions of one brat `.ann` file over `text`."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[tuple[int, list[tuple[str, str]]]] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not _ID_LINE.match(line):
            continue  # notes, blank lines, and the rest of a surface text that contained a line break
        columns = line.split("\t")
        if line.startswith("T"):
            if len(columns) < 2 or " " not in columns[1]:
                raise InputError(str(path), "a T line needs 'ID<TAB>Label start end'", line=line_no)
            label, _, ranges = columns[1].partition(" ")
            pieces = _parse_ranges(ranges, path, line_no)
            if any(end > len(text) or start > end for start, end in pieces):
                raise InputError(str(path), f"offsets {ranges} lie outside the text ({len(text)} chars)", line=line_no)
            spans[columns[0]] = (label, pieces)
        elif line.startswith("E"):
            if len(columns) < 2:
                raise InputError(str(path), "an E line needs 'ID<TAB>Type:Tn Role:Tn ...'", line=line_no)
            arguments = []
            for argument in columns[1].split():
                role, _, target = argument.partition(":")
                arguments.append((role, target))
            events.append((line_no, arguments))
    attributions = []
    for line_no, arguments in events:
        if not arguments or not arguments[0][0].startswith("Attribution"):
            continue
        gold = GoldAttribution()
        for role, target in arguments[1:]:
            if target not in spans:
                raise InputError(str(path), f"event refers to {target}, which is not defined", line=line_no)
            name = _ROLE_OF_LABEL.get(re.sub(r"\d+$", "", role))
            if name is not None:
                gold.role(name).extend(spans[target][1])
        for name in ROLES:
            gold.role(name).sort()
        if gold.content or gold.cue or gold.source:
            attributions.append(gold)
    return attributions


def read_gold_dir(directory: Path) -> list[AnnotatedArticle]:
    """Every (article, annotator) pair under a PolNeAR-format directory."""
    text_dir, ann_dir = directory / "text", directory / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise InputError(str(directory), "expected subfolders text/ and attributions/ (PolNeAR layout)")
    articles = []
    for ann_path in sorted(ann_dir.glob("*.ann")):
        name, _, annotator = ann_path.stem.rpartition("_")
        text_path = text_dir / f"{name}.txt"
        if not name or not text_path.exists():
            raise InputError(str(ann_path), f"no text file {text_path.name} for this annotation file", line=1)
        with open(text_path, encoding="utf-8", newline="") as handle:
            text = handle.read()
        articles.append(AnnotatedArticle(name, annotator, text, read_ann(ann_path, text), ann_path))
    return articles
