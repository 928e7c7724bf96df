"""`sourcetrace evaluate techniques-unlp`: the uk/ru technique model on the held-out UNLP-2025 posts.

Metrics:
- techniques: per-technique F1 over posts (a post has a technique or not), their unweighted mean over the 10
  UNLP techniques (macro-F1, the shared task's official metric) and micro-F1 (all post x technique decisions
  pooled);
- trigger spans (untyped): character-level precision, recall and F1 pooled over all held-out posts: TP = the
  characters inside both a predicted and a gold span, P = TP / characters inside predicted spans,
  R = TP / characters inside gold spans (the shared task scores tokens; characters avoid a tokenizer choice).
"""

# The functions that run a model import it when called: `sourcetrace --help` imports this module.
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.errors import SourcetraceError
from sourcetrace.stages.techniques.unlp import UNLP_TECHNIQUES

HELDOUT_FILE = Path(__file__).resolve().parents[1] / "datasets" / "splits" / "unlp2025_heldout.txt"


@dataclass
class UnlpPost:
    id: str
    text: str
    lang: str
    techniques: list[str]
    spans: list[tuple[int, int]]


def read_unlp(folder: Path) -> list[UnlpPost]:
    """The UNLP-2025 posts of `folder` (span_detection/train.parquet; it also holds the technique labels)."""
    import pyarrow.parquet as pq

    path = folder / "span_detection" / "train.parquet"
    if not path.exists():
        raise SourcetraceError(f"{path} not found: --data must be the unlp2025 folder")
    return [
        UnlpPost(str(row["id"]), row["content"], row["lang"], [str(t) for t in row["techniques"] or []],
                 [(int(s), int(e)) for s, e in row["trigger_words"] or []])
        for row in pq.read_table(path, columns=["id", "content", "lang", "techniques", "trigger_words"]).to_pylist()
    ]


def heldout_ids(path: Path = HELDOUT_FILE) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def label_matrix(posts: Sequence[UnlpPost]) -> np.ndarray:
    """(posts, 10) 0/1: which UNLP techniques each post has."""
    return np.array([[name in post.techniques for name in UNLP_TECHNIQUES] for post in posts], dtype=np.int8)


def technique_f1(predicted: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    """Per-technique F1, macro-F1 (unweighted mean) and micro-F1 over (posts, techniques) 0/1 matrices."""
    tp = (predicted & gold).sum(axis=0).astype(float)
    fp = (predicted & (1 - gold)).sum(axis=0).astype(float)
    fn = ((1 - predicted) & gold).sum(axis=0).astype(float)
    per = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=(2 * tp + fp + fn) > 0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    return {"macro_f1": round(float(per.mean()), 4), "micro_f1": round(float(micro), 4),
            "per_technique": {name: round(float(f), 4) for name, f in zip(UNLP_TECHNIQUES, per)}}


def _mask(length: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for start, end in spans:
        mask[max(start, 0):min(end, length)] = True
    return mask


def char_prf(texts: Sequence[str], predicted: Sequence[Sequence[tuple[int, int]]],
             gold: Sequence[Sequence[tuple[int, int]]]) -> dict[str, float]:
    """Character-level span precision, recall and F1 pooled over all texts (see the module docstring)."""
    tp = n_pred = n_gold = 0
    for text, p, g in zip(texts, predicted, gold):
        pm, gm = _mask(len(text), p), _mask(len(text), g)
        tp += int((pm & gm).sum())
        n_pred += int(pm.sum())
        n_gold += int(gm.sum())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def evaluate_heldout(posts: Sequence[UnlpPost], model_dir: Path | None = None) -> dict[str, Any]:
    """The shipped model and the trivial baselines on the given (held-out) posts."""
    from sourcetrace.stages.techniques.unlp import MODEL_DIR, UnlpTechniqueModel

    model = UnlpTechniqueModel(model_dir or MODEL_DIR)
    gold = label_matrix(posts)
    texts = [post.text for post in posts]
    probabilities = model.text_probabilities(texts)
    predicted = (probabilities[:, :10] >= model.thresholds).astype(np.int8)
    spans = [[(s, e) for s, e, _ in model.predict_text(post.text, 0, row).spans]
             for post, row in zip(posts, probabilities)]
    gold_spans = [post.spans for post in posts]
    loaded_only = np.zeros_like(gold)
    loaded_only[:, UNLP_TECHNIQUES.index("loaded_language")] = 1
    results: dict[str, Any] = {
        "posts": len(posts),
        "model": {"techniques": technique_f1(predicted, gold), "spans": char_prf(texts, spans, gold_spans)},
        "baseline_loaded_language_only": {"techniques": technique_f1(loaded_only, gold)},
        "baseline_every_technique": {"techniques": technique_f1(np.ones_like(gold), gold)},
        "baseline_whole_post_one_span": {"spans": char_prf(texts, [[(0, len(t))] for t in texts], gold_spans)},
    }
    for lang in ("uk", "ru"):
        keep = np.array([post.lang == lang for post in posts])
        results["model"][lang] = {
            "posts": int(keep.sum()),
            "techniques_macro_f1": technique_f1(predicted[keep], gold[keep])["macro_f1"],
            "spans_f1": char_prf([t for t, k in zip(texts, keep) if k], [s for s, k in zip(spans, keep) if k],
                                 [g for g, k in zip(gold_spans, keep) if k])["f1"],
        }
    return results
