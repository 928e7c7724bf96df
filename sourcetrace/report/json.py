"""JSON and JSON Lines output."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from sourcetrace.analysis import Analysis


def write_json(analyses: list[Analysis], stream: TextIO) -> None:
    """One analysis as an object; several as a JSON array."""
    if len(analyses) == 1:
        stream.write(analyses[0].to_json(indent=2))
    else:
        stream.write("[\n" + ",\n".join(a.to_json(indent=2) for a in analyses) + "\n]")
    stream.write("\n")


def write_jsonl(analyses: Iterable[Analysis], stream: TextIO) -> None:
    """One analysis per line, in input order."""
    for analysis in analyses:
        stream.write(analysis.to_json())
        stream.write("\n")
