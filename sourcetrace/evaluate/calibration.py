"""How well scores state probabilities: Brier score, expected calibration error and a reliability table.

With n scored items, score p_i and outcome y_i in {0, 1}:

    Brier = 1/n * sum (p_i - y_i)^2
    ECE   = sum over equal-width score bins b of |b|/n * |mean p in b - mean y in b|

The reliability table gives, per occupied bin, the items, their mean score and the share that came true.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def calibration_report(scores: Sequence[float], outcomes: Sequence[bool], bins: int = 10) -> dict[str, Any]:
    """Brier score, ECE and reliability table of `scores` against `outcomes` (see the module docstring)."""
    n = len(scores)
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [k for k, p in enumerate(scores) if low <= p < high or (b == bins - 1 and p == 1.0)]
        if members:
            table.append({"low": low, "high": high, "items": len(members),
                          "mean_score": sum(scores[k] for k in members) / len(members),
                          "share_true": sum(outcomes[k] for k in members) / len(members)})
    return {
        "items": n,
        "mean_score": sum(scores) / n if n else 0.0,
        "share_true": sum(outcomes) / n if n else 0.0,
        "brier": sum((p - y) ** 2 for p, y in zip(scores, outcomes)) / n if n else 0.0,
        "ece": sum(row["items"] / n * abs(row["mean_score"] - row["share_true"]) for row in table) if n else 0.0,
        "reliability": table,
    }


def format_report(report: dict[str, Any], what: str, indent: str = "  ") -> list[str]:
    """Printable lines: one summary line, then one per occupied bin."""
    lines = [f"{indent}score calibration over {report['items']} {what}: mean score {report['mean_score']:.3f}, "
             f"share true {report['share_true']:.3f}, Brier {report['brier']:.4f}, ECE {report['ece']:.4f}"]
    lines += [f"{indent}  score {row['low']:.1f}-{row['high']:.1f}: {row['items']:5d}, mean score "
              f"{row['mean_score']:.3f}, share true {row['share_true']:.3f}" for row in report["reliability"]]
    return lines
