"""What the two check-worthiness fine-tuning scripts share: their arguments, the train split, the epoch loop and
the choice of epoch, weight and threshold on the held-out tenth.

`checkworthiness_minilm` fine-tunes a whole MiniLM over token ids, `checkworthiness_top` MiniLM's upper layers over
the shared pass's word-piece vectors; both train on the nine tenths of `CT24_checkworthy_english_train.tsv` that
the TF-IDF model's choices use (`heldout_ids.txt`) and choose on the held-out tenth, averaged with a copy of the
TF-IDF model fitted on the same nine tenths.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.evaluate.checkworthiness import read_checkworthy_tsv
from training.claims.checkworthiness import best_threshold, is_heldout
from training.optimisation import clipped_step


def add_training_arguments(parser: argparse.ArgumentParser, cache_help: str) -> None:
    parser.add_argument("--data", type=Path, required=True, help="folder with the CT24 train TSV")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--work", type=Path, required=True, help="folder for checkpoints and held-out predictions")
    parser.add_argument("--cache", type=Path, default=None, help=cache_help)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=0, help="train on this many sentences only (for timing)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--select-only", type=int, default=0,
                        help="train nothing: choose among the first N epochs saved in --work by an earlier run")


@dataclass
class TrainSplit:
    rows: list[Any]
    labels: np.ndarray
    fit_index: np.ndarray  # the nine tenths (the first `--limit` of them with a limit)
    heldout_index: np.ndarray

    @property
    def heldout_labels(self) -> list[int]:
        return list(self.labels[self.heldout_index])


def train_split(data: Path, limit: int = 0) -> TrainSplit:
    rows = read_checkworthy_tsv(data / "CT24_checkworthy_english_train.tsv")
    heldout_mask = np.array([is_heldout(row.sentence_id) for row in rows])
    fit_index, heldout_index = np.where(~heldout_mask)[0], np.where(heldout_mask)[0]
    return TrainSplit(rows, np.array([row.label for row in rows]), fit_index[:limit] if limit else fit_index,
                      heldout_index)


def length_ordered_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Positions in batches of similar length (little padding), the batches in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def fine_tune(model: Any, args: argparse.Namespace, split: TrainSplit, lengths: Sequence[int],
              loss_of: Callable[[np.ndarray], Any], heldout_probabilities: Callable[[], np.ndarray],
              started: float) -> list[dict]:
    """Binary cross-entropy training with AdamW, linear warm-up (6%) and decay; after each epoch the held-out
    probabilities and the weights are saved in `--work` (`heldout-epochN.npy`, `epochN.pt`). `loss_of(index)` is
    the loss of the rows `index` of the train file; `lengths` are the fit rows' lengths, for batching."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    if args.select_only:
        return [{"epoch": e, "seconds": None} for e in range(1, args.select_only + 1)]
    rng = random.Random(args.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(split.fit_index) / args.batch_size)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    args.work.mkdir(parents=True, exist_ok=True)
    epochs: list[dict] = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = length_ordered_batches(lengths, args.batch_size, rng)
        for step, positions in enumerate(batches, start=1):
            loss = loss_of(split.fit_index[positions])
            clipped_step(loss, model, optimizer, scheduler)
            if step % 50 == 0 or step == len(batches):
                print(f"epoch {epoch} step {step}/{len(batches)} loss {loss.item():.3f} "
                      f"({time.time() - started:.0f}s)", flush=True)
        probabilities = heldout_probabilities()
        threshold, f1 = best_threshold(split.heldout_labels, probabilities)
        np.save(args.work / f"heldout-epoch{epoch}.npy", probabilities)
        torch.save(model.state_dict(), args.work / f"epoch{epoch}.pt")
        epochs.append({"epoch": epoch, "heldout_f1": round(f1, 4), "threshold": threshold,
                       "seconds": round(time.time() - started)})
        print(json.dumps(epochs[-1]), flush=True)
    return epochs


def choose_epoch_and_weight(epochs: list[dict], work: Path, heldout_labels: list[int], tfidf: np.ndarray) -> dict:
    """The epoch, the model's weight in the average with the TF-IDF model (0 to 1 by 0.1) and the threshold with
    the best held-out F1."""
    best: dict = {"f1": -1.0}
    for record in epochs:
        model = np.load(work / f"heldout-epoch{record['epoch']}.npy")
        for weight in np.arange(0.0, 1.01, 0.1):
            threshold, f1 = best_threshold(heldout_labels, weight * model + (1 - weight) * tfidf)
            print(f"epoch {record['epoch']} model weight {weight:.1f}: held-out F1 {f1:.4f} at {threshold:.2f}")
            if f1 > best["f1"] + 1e-9:
                best = {"f1": f1, "epoch": record["epoch"], "weight": round(float(weight), 2), "threshold": threshold}
    print("chosen", json.dumps(best), flush=True)
    return best


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """How far two models' probabilities on the same texts are apart."""
    return {"max_abs_difference": round(float(np.abs(a - b).max()), 4),
            "mean_abs_difference": round(float(np.abs(a - b).mean()), 4),
            "same_decision_at_0.5": round(float(((a >= 0.5) == (b >= 0.5)).mean()), 4)}
