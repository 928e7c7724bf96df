"""FNC-1 (Fake News Challenge, stage 1) stance files: a stances CSV and a bodies CSV.

    stances: Headline,Body ID,Stance     (Stance: agree, disagree, discuss or unrelated)
    bodies:  Body ID,articleBody

A stances file without a `Stance` column (the competition's unlabelled test file) reads with `stance=None`.
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sourcetrace.errors import InputError

STANCES = ("agree", "disagree", "discuss", "unrelated")


@dataclass(frozen=True)
class StancePair:
    headline: str
    body_id: str
    stance: str | None


def _read_rows(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise InputError(str(path), "no such file")
    # Bodies hold whole articles in one quoted field, longer than csv's default field limit allows.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        if not columns:
            raise InputError(str(path), "empty file", line=1)
        missing = [name for name in required if name not in columns]
        if missing:
            raise InputError(str(path), f"header lacks column(s) {', '.join(missing)}", line=1)
        reader.fieldnames = columns
        rows = []
        for row in reader:
            # csv's line_num is the line a record ends on; a body spans many lines.
            if None in row or any(row.get(name) is None for name in columns):
                raise InputError(str(path), f"expected {len(columns)} comma-separated fields", line=reader.line_num)
            rows.append((reader.line_num, row))
    return rows


def read_stances(path: Path) -> list[StancePair]:
    """The (headline, body id, stance) rows of an FNC-1 stances CSV; a bad row is an `InputError` naming its line."""
    rows = _read_rows(path, ("Headline", "Body ID"))
    pairs = []
    for line, row in rows:
        stance = row.get("Stance")
        if stance is not None:
            stance = stance.strip().lower()
            if stance not in STANCES:
                raise InputError(str(path), f"Stance must be one of {', '.join(STANCES)}, got {row['Stance']!r}",
                                 line=line)
        pairs.append(StancePair(row["Headline"], row["Body ID"].strip(), stance))
    if not pairs:
        raise InputError(str(path), "no stance rows")
    return pairs


def read_bodies(path: Path) -> dict[str, str]:
    """Body ID -> article text of an FNC-1 bodies CSV."""
    bodies: dict[str, str] = {}
    for line, row in _read_rows(path, ("Body ID", "articleBody")):
        body_id = row["Body ID"].strip()
        if body_id in bodies:
            raise InputError(str(path), f"Body ID {body_id} appears twice", line=line)
        bodies[body_id] = row["articleBody"]
    if not bodies:
        raise InputError(str(path), "no bodies")
    return bodies


def check_bodies_present(pairs: Iterable[StancePair], bodies: dict[str, str], source: str) -> None:
    """Every pair's body must be in the bodies file: a missing one is an `InputError` naming it."""
    missing = sorted({pair.body_id for pair in pairs if pair.body_id not in bodies})
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(source, f"Body ID(s) absent from the bodies file: {shown}")


def split_by_body(pairs: Sequence[StancePair], fraction: float = 0.2, seed: int = 0) -> tuple[set[str], set[str]]:
    """Body ids in two disjoint parts (train, validation), `fraction` of the bodies in validation.

    By body, so no article text is seen on both sides (the split the FNC-1 organisers' baseline makes)."""
    body_ids = sorted({pair.body_id for pair in pairs}, key=lambda body_id: (len(body_id), body_id))
    random.Random(seed).shuffle(body_ids)
    held_out = set(body_ids[: round(len(body_ids) * fraction)])
    return set(body_ids) - held_out, held_out
