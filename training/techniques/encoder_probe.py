"""Compare encoders for the span tagger cheaply: a linear probe (logistic regression on each word piece's vector
and its neighbours' mean) predicting whether the piece lies inside a gold span, 5-fold cross-validated by article
on cached vectors (`encode_layers.py`), reported as ROC AUC and average precision per fold.

    nice -n 10 python -m training.techniques.encoder_probe --data ../shared/data/semeval23/en \
        --vectors l3=CACHE/l3 l6=CACHE
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from sourcetrace.datasets.semeval23 import read_semeval23
from sourcetrace.stages.techniques.encoder import EncodedText
from training.techniques.train import FOLDS, fold_ids, piece_targets


def probe_rows(encoded: EncodedText) -> np.ndarray:
    """Each piece's vector beside the mean of its two neighbours on either side (a little context, as the CNN's)."""
    vectors = encoded.vectors
    padded = np.pad(vectors, ((2, 2), (0, 0)))
    context = (padded[:-4] + padded[1:-3] + padded[3:-1] + padded[4:]) / 4
    return np.hstack([vectors, context])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--vectors", nargs="+", required=True, help="NAME=FOLDER of cached ID.npz vectors")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    texts, gold = read_semeval23(args.data)
    ids = sorted(texts)
    folds = fold_ids(ids, args.seed)
    results = {}
    for entry in args.vectors:
        name, folder = entry.split("=", 1)
        rows, targets = {}, {}
        for i in ids:
            data = np.load(Path(folder) / f"{i}.npz")
            encoded = EncodedText(data["offsets"], data["vectors"].astype(np.float32), data["sentence"])
            rows[i] = probe_rows(encoded)
            targets[i] = piece_targets(encoded, gold[i], len(texts[i]))
        sample = np.concatenate([rows[i][::7] for i in ids])
        mean, scale = sample.mean(axis=0), sample.std(axis=0) + 1e-6
        per_fold = []
        for k, test in enumerate(folds):
            train = [i for i in ids if i not in set(test)]
            # every third piece of the training folds: neighbours say nearly the same, and memory is shared
            x = (np.concatenate([rows[i][::3] for i in train]) - mean) / scale
            y = np.concatenate([targets[i][::3] for i in train])
            model = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=5, tol=None, random_state=k).fit(x, y)
            xt = (np.concatenate([rows[i] for i in test]) - mean) / scale
            yt = np.concatenate([targets[i] for i in test])
            p = model.decision_function(xt)
            per_fold.append({"auc": round(float(roc_auc_score(yt, p)), 4),
                             "average_precision": round(float(average_precision_score(yt, p)), 4)})
        results[name] = {"per_fold": per_fold,
                         "auc": [round(float(np.mean([f["auc"] for f in per_fold])), 4),
                                 round(float(np.std([f["auc"] for f in per_fold], ddof=1)), 4)],
                         "average_precision": [
                             round(float(np.mean([f["average_precision"] for f in per_fold])), 4),
                             round(float(np.std([f["average_precision"] for f in per_fold], ddof=1)), 4)]}
        print(f"{name}: ROC AUC {results[name]['auc'][0]:.4f} ± {results[name]['auc'][1]:.4f}, average precision "
              f"{results[name]['average_precision'][0]:.4f} ± {results[name]['average_precision'][1]:.4f} "
              f"({FOLDS} folds)", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
