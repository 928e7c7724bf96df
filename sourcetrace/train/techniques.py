"""Train the technique tagger and classifier from ../shared/data/ptc (CPU, torch for training only).

    python -m sourcetrace.train.techniques --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques

Articles listed in `sourcetrace/data/splits/ptc_heldout.txt` are never read for training. Of the rest, a fixed
40 (seeded) are development articles: the tagger's epoch, the decoding threshold, gap, the classifier's
regularisation, Platt scaling and temperature are chosen on them; the tagger and classifier are fit on the
others. Word-piece vectors are cached under --cache (one folder per encoder depth).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from sourcetrace.evaluate.techniques import span_prf, technique_scores
from sourcetrace.extract.technique_encoder import FULL_LAYERS, EncodedText, PieceEncoder, line_sentences
from sourcetrace.extract.techniques import (
    EXTRA_FEATURES,
    TechniqueModel,
    _split_merged,
    article_word_counts,
    classifier_inputs,
    span_features,
)
from sourcetrace.train.ptc import heldout_ids, read_articles, read_labels

DEV_ARTICLES = 40
BOW_FEATURES = 2**16
BOW_WEIGHT = 10.0  # hashed words next to ~800 standardised dense features: weighted up to count at all
CLASSIFIER_C = (0.001, 0.002, 0.005, 0.01, 0.02)


def encode_all(articles: dict[str, str], cache: Path, layers: int) -> dict[str, EncodedText]:
    folder = cache if layers == FULL_LAYERS else cache / f"l{layers}"
    folder.mkdir(parents=True, exist_ok=True)
    encoder = None
    encoded = {}
    for article_id, text in articles.items():
        path = folder / f"{article_id}.npz"
        if not path.exists():
            encoder = encoder or PieceEncoder(layers=layers)
            result = encoder.encode(text, line_sentences(text))
            np.savez(path, offsets=result.offsets, vectors=result.vectors.astype(np.float16), sentence=result.sentence)
        data = np.load(path)
        encoded[article_id] = EncodedText(data["offsets"], data["vectors"].astype(np.float32), data["sentence"])
    return encoded


def piece_targets(encoded: EncodedText, spans: list[tuple[str, int, int]], length: int) -> np.ndarray:
    """1 for a word piece at least half covered by a gold span."""
    covered = np.zeros(length + 1, dtype=np.int32)
    for _, start, end in spans:
        covered[start:end] = 1
    cumulative = np.concatenate([[0], np.cumsum(covered)])
    starts, ends = encoded.offsets[:, 0], encoded.offsets[:, 1]
    inside = cumulative[ends] - cumulative[starts]
    return (inside * 2 >= np.maximum(ends - starts, 1)).astype(np.float32)


def piece_techniques(encoded: EncodedText, spans: list[tuple[str, int, int]], classes: list[str]) -> np.ndarray:
    """Class index of the shortest gold span around each word piece's middle; -100 (ignored) outside spans."""
    targets = np.full(len(encoded.offsets), -100, dtype=np.int64)
    shortest = np.full(len(encoded.offsets), np.iinfo(np.int64).max)
    middle = encoded.offsets.mean(axis=1)
    for technique, start, end in spans:
        chosen = (middle >= start) & (middle < end) & (shortest > end - start)
        targets[chosen] = classes.index(technique)
        shortest[chosen] = end - start
    return targets


def train_tagger(train: list[tuple[EncodedText, np.ndarray, np.ndarray]], classes: int, epochs: int, seed: int,
                 choose: object) -> tuple[dict[str, np.ndarray], tuple]:
    """Fit the CNN tagger; after each epoch `choose(probabilities_of)` tunes decoding on the development
    articles and returns (F1, ...); the epoch with the best development span F1 is kept.

    A second head names the technique of each piece inside a span (auxiliary loss, not used at run time):
    it makes the shared layers tell techniques apart, which helps the span head on development articles.
    """
    import torch

    torch.manual_seed(seed)
    model = torch.nn.ModuleDict({
        "conv1": torch.nn.Conv1d(384, 128, 3, padding=1),
        "conv2": torch.nn.Conv1d(128, 64, 5, padding=2),
        "out": torch.nn.Linear(64, 1),
        "technique": torch.nn.Linear(64, classes),
    })
    dropout = torch.nn.Dropout(0.2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    span_loss = torch.nn.BCEWithLogitsLoss()
    technique_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)

    def forward(x: torch.Tensor, training: bool) -> tuple[torch.Tensor, torch.Tensor]:
        drop = dropout if training else torch.nn.Identity()
        h = torch.relu(model["conv1"](drop(x)))
        h = torch.relu(model["conv2"](drop(h))).squeeze(0).T
        return model["out"](h).squeeze(-1), model["technique"](h)

    best: tuple = (-1.0,)
    best_state: dict[str, np.ndarray] = {}
    order = list(range(len(train)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for index in order:
            encoded, target, techniques = train[index]
            span_logits, technique_logits = forward(torch.from_numpy(encoded.vectors).T.unsqueeze(0), True)
            loss = span_loss(span_logits, torch.from_numpy(target))
            if (techniques >= 0).any():
                loss = loss + 0.5 * technique_loss(technique_logits, torch.from_numpy(techniques))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach())

        def probabilities_of(encoded: EncodedText) -> np.ndarray:
            with torch.no_grad():
                logits, _ = forward(torch.from_numpy(encoded.vectors).T.unsqueeze(0), False)
            return torch.sigmoid(logits).numpy()

        result = choose(probabilities_of)  # type: ignore[operator]
        print(f"tagger epoch {epoch + 1}: loss {total / len(order):.4f}, development span F1 {result[0]:.4f} "
              f"(threshold {result[1]}, seed {result[2]}, gap {result[3]})", flush=True)
        if result[0] > best[0]:
            best = (*result, epoch + 1)
            best_state = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()
                          if not name.startswith("technique.")}
    return best_state, best


def tune_decoding(model: TechniqueModel, articles: dict[str, str], encoded: dict[str, EncodedText],
                  probabilities: dict[str, np.ndarray], gold: dict[str, list[tuple[int, int]]]) -> tuple:
    """(F1, threshold, seed, gap) with the best development span F1."""
    best: tuple = (-1.0, 0.5, 0.5, 1)
    for threshold in np.arange(0.15, 0.6, 0.05):
        for seed in np.arange(threshold, 0.8, 0.1):
            for gap in (0, 1, 2, 3):
                model.meta.update(threshold=float(threshold), seed=float(seed), gap=gap)
                predicted = {i: [(s, e) for s, e, _ in model.decode(articles[i], encoded[i], probabilities[i])]
                             for i in gold}
                f1 = span_prf(predicted, gold)[2]
                if f1 > best[0]:
                    best = (f1, round(float(threshold), 2), round(float(seed), 2), gap)
    return best


def matched_gold(predicted: list[tuple[int, int]], gold: list[tuple[str, int, int]]) -> dict[int, int]:
    """predicted index -> gold index, paired one-to-one by largest overlap, as `evaluate techniques` pairs them."""
    pairs = []
    for g, (_, g_start, g_end) in enumerate(gold):
        for p, (p_start, p_end) in enumerate(predicted):
            overlap = min(g_end, p_end) - max(g_start, p_start)
            if overlap > 0:
                pairs.append((-overlap, abs((g_end - g_start) - (p_end - p_start)), g, p))
    used_gold: set[int] = set()
    pairing: dict[int, int] = {}
    for _, _, g, p in sorted(pairs):
        if g not in used_gold and p not in pairing:
            used_gold.add(g)
            pairing[p] = g
    return pairing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    parser.add_argument("--out", type=Path, default=Path("sourcetrace/data/models/techniques"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/techniques_cache"))
    parser.add_argument("--layers", type=int, default=3, help="MiniLM layers the tagger reads (6 = all)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--predicted-spans", action="store_true",
                        help="also train the classifier on predicted spans matched to gold")
    args = parser.parse_args(argv)
    started = time.time()

    import torch
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "2")))
    held = heldout_ids()
    articles = {k: v for k, v in read_articles(args.ptc / "train-articles").items() if k not in held}
    labels = read_labels(args.ptc / "train-labels-task2-technique-classification")
    ids = sorted(articles)
    dev_ids = sorted(random.Random(args.seed).sample(ids, min(DEV_ARTICLES, len(ids) // 4)))
    fit_ids = [i for i in ids if i not in set(dev_ids)]
    print(f"{len(fit_ids)} training, {len(dev_ids)} development articles, {len(held)} held out", flush=True)
    encoded = encode_all(articles, args.cache, args.layers)
    print(f"encoded in {time.time() - started:.0f}s", flush=True)
    classes = sorted({t for i in fit_ids for t, _, _ in labels.get(i, [])})

    # an empty model to decode with while the tagger trains (decoding needs only meta)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": "ptc-cnn-lr-2", "classes": classes, "threshold": 0.5, "gap": 1, "min_chars": 2,
        "temperature": 1.0, "platt": [1.0, 0.0], "extra_features": EXTRA_FEATURES, "encoder_layers": args.layers,
        "bow_features": BOW_FEATURES, "bow_weight": BOW_WEIGHT,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    np.savez_compressed(args.out / "weights.npz", placeholder=np.zeros(1))
    model = TechniqueModel(args.out, encoder=object())  # type: ignore[arg-type]  # encoder unused: cached vectors
    dev_gold = {i: [(s, e) for _, s, e in labels.get(i, [])] for i in dev_ids}

    def choose(probabilities_of: object) -> tuple:
        probabilities = {i: probabilities_of(encoded[i]) for i in dev_ids}  # type: ignore[operator]
        return tune_decoding(model, articles, encoded, probabilities, dev_gold)

    train = [(encoded[i], piece_targets(encoded[i], labels.get(i, []), len(articles[i])),
              piece_techniques(encoded[i], labels.get(i, []), classes)) for i in fit_ids]
    weights, best = train_tagger(train, len(classes), args.epochs, args.seed, choose)
    print(f"kept tagger epoch {best[4]}: development span F1 {best[0]:.4f}", flush=True)
    model.weights = {k: v.astype(np.float32) for k, v in weights.items()}
    model.meta.update(threshold=best[1], seed=best[2], gap=best[3])
    probabilities = {i: model.piece_probabilities(encoded[i]) for i in articles}

    def decoded(i: str) -> list[tuple[int, int]]:
        return [(s, e) for s, e, _ in model.decode(articles[i], encoded[i], probabilities[i])]

    # technique classifier: gold spans of the training articles (and, optionally, their predicted spans
    # labelled with the gold span each one is matched to, the way the evaluation pairs them)
    spans_of: dict[str, list[tuple[int, int]]] = {}
    targets: list[int] = []
    for i in fit_ids:
        gold = labels.get(i, [])
        spans = [(s, e) for _, s, e in gold]
        targets += [classes.index(t) for t, _, _ in gold]
        if args.predicted_spans:
            predicted = decoded(i)
            for p, g in matched_gold(predicted, gold).items():
                spans.append(predicted[p])
                targets.append(classes.index(gold[g][0]))
        spans_of[i] = spans
    dense = np.concatenate([
        np.stack([span_features(articles[i], encoded[i], s, e, article_word_counts(articles[i]))
                  for s, e in spans_of[i]]) for i in fit_ids if spans_of[i]])
    mean, scale = dense.mean(axis=0), dense.std(axis=0) + 1e-6

    def inputs(i: str, spans: list[tuple[int, int]]) -> object:
        return classifier_inputs(articles[i], encoded[i], spans, mean, scale, BOW_FEATURES, BOW_WEIGHT)

    import scipy.sparse

    features = scipy.sparse.vstack([inputs(i, spans_of[i]) for i in fit_ids if spans_of[i]]).tocsr()
    dev_predicted = {i: decoded(i) for i in dev_ids}
    dev_inputs = {i: inputs(i, dev_predicted[i]) for i in dev_ids if dev_predicted[i]}
    best_classifier, best_micro = None, -1.0
    for c in CLASSIFIER_C:  # chosen on development technique micro-F1 over predicted spans matched to gold
        classifier = LogisticRegression(C=c, max_iter=3000).fit(features, targets)
        named = {i: [(_split_merged(classes[k], articles[i][s:e]), s, e)
                     for (s, e), k in zip(dev_predicted[i], classifier.predict(dev_inputs[i]))]
                 for i in dev_inputs}
        micro = technique_scores(named, {i: labels.get(i, []) for i in dev_ids})["micro_f1"]
        print(f"classifier C={c}: development technique micro-F1 on matched spans {micro:.4f}", flush=True)
        if micro > best_micro:
            best_classifier, best_micro, model.meta["classifier_c"] = classifier, micro, c
    assert best_classifier is not None
    weights.update({
        "classifier.coef": best_classifier.coef_.astype(np.float32),
        "classifier.intercept": best_classifier.intercept_.astype(np.float32),
        "feature_mean": mean.astype(np.float32), "feature_scale": scale.astype(np.float32),
    })
    np.savez_compressed(args.out / "weights.npz", **{k: v.astype(np.float16) for k, v in weights.items()})
    model.weights = {k: v.astype(np.float16).astype(np.float32) for k, v in weights.items()}

    # Platt scaling: does a predicted span overlap gold?
    logits, hits = [], []
    for i in dev_ids:
        for start, end, mean_p in model.decode(articles[i], encoded[i], probabilities[i]):
            p = min(max(mean_p, 1e-6), 1 - 1e-6)
            logits.append([np.log(p / (1 - p))])
            hits.append(int(any(s < end and start < e for s, e in dev_gold[i])))
    platt = LogisticRegression(C=100.0).fit(np.array(logits), hits)
    model.meta["platt"] = [float(platt.coef_[0][0]), float(platt.intercept_[0])]

    # temperature for the technique probabilities, and development accuracy on gold spans
    dev_logits, dev_targets = [], []
    for i in dev_ids:
        gold = [(t, s, e) for t, s, e in labels.get(i, []) if t in classes]
        if gold:
            rows = inputs(i, [(s, e) for _, s, e in gold])
            dev_logits.append(rows @ best_classifier.coef_.T + best_classifier.intercept_)
            dev_targets += [classes.index(t) for t, _, _ in gold]
    logits_array, dev_targets_array = np.concatenate(dev_logits), np.array(dev_targets)
    print(f"development technique accuracy on gold spans {(logits_array.argmax(1) == dev_targets_array).mean():.4f}")
    best_nll, best_t = float("inf"), 1.0
    for temperature in np.arange(0.5, 3.01, 0.1):
        z = logits_array / temperature
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(z)), dev_targets_array] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best_nll, best_t = nll, float(temperature)
    model.meta["temperature"] = round(best_t, 2)
    model.meta["tagger_epoch"] = best[4]
    model.meta["training_seconds"] = round(time.time() - started)
    (args.out / "meta.json").write_text(json.dumps(model.meta, indent=1), encoding="utf-8")
    print(f"saved {args.out} in {time.time() - started:.0f}s: {json.dumps(model.meta)}")


if __name__ == "__main__":
    main()
