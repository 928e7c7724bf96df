"""Train the technique tagger and classifier from ../shared/data/ptc (CPU, torch for training only).

    nice -n 10 python -m sourcetrace.train.techniques --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques

Articles listed in `sourcetrace/data/splits/ptc_heldout.txt` are never read for training. Of the rest, a fixed
40 (seeded) are development articles: the decoding threshold, gap, Platt scaling and temperature are tuned on
them; the tagger and classifier are fit on the others. Word-piece vectors are cached under --cache.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from sourcetrace.evaluate.techniques import span_prf
from sourcetrace.extract.technique_encoder import EncodedText, PieceEncoder, line_sentences
from sourcetrace.extract.techniques import EXTRA_FEATURES, TechniqueModel, article_word_counts, span_features
from sourcetrace.train.ptc import heldout_ids, read_articles, read_labels

DEV_ARTICLES = 40


def encode_all(articles: dict[str, str], cache: Path) -> dict[str, EncodedText]:
    cache.mkdir(parents=True, exist_ok=True)
    encoder = None
    encoded = {}
    for article_id, text in articles.items():
        path = cache / f"{article_id}.npz"
        if not path.exists():
            encoder = encoder or PieceEncoder()
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


def train_tagger(train: list[tuple[EncodedText, np.ndarray]], epochs: int, seed: int,
                 dev: list[tuple[EncodedText, np.ndarray]] | None = None) -> dict[str, np.ndarray]:
    """Fit the CNN tagger; with `dev`, keep the epoch with the lowest development loss."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    model = torch.nn.ModuleDict({
        # small on purpose: one epoch over 271 articles takes about 2 minutes on the shared 2-core machine
        "conv1": torch.nn.Conv1d(384, 128, 3, padding=1),
        "conv2": torch.nn.Conv1d(128, 64, 5, padding=2),
        "out": torch.nn.Linear(64, 1),
    })
    dropout = torch.nn.Dropout(0.2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    best_loss, best_state = float("inf"), None
    order = list(range(len(train)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for index in order:
            encoded, target = train[index]
            x = torch.from_numpy(encoded.vectors).T.unsqueeze(0)
            h = torch.relu(model["conv1"](dropout(x)))
            h = torch.relu(model["conv2"](dropout(h)))
            logits = model["out"](h.squeeze(0).T).squeeze(-1)
            loss = loss_fn(logits, torch.from_numpy(target))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        message = f"tagger epoch {epoch + 1}: loss {total / len(order):.4f}"
        if dev:
            with torch.no_grad():
                dev_loss = 0.0
                for encoded, target in dev:
                    x = torch.from_numpy(encoded.vectors).T.unsqueeze(0)
                    h = torch.relu(model["conv2"](torch.relu(model["conv1"](x))))
                    logits = model["out"](h.squeeze(0).T).squeeze(-1)
                    dev_loss += float(loss_fn(logits, torch.from_numpy(target)))
            dev_loss /= len(dev)
            message += f", development loss {dev_loss:.4f}"
            if dev_loss < best_loss:
                best_loss = dev_loss
                best_state = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
        print(message, flush=True)
    if best_state is not None:
        return best_state
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    parser.add_argument("--out", type=Path, default=Path("sourcetrace/data/models/techniques"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/techniques_cache"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cached-only", action="store_true", help="debug: use only articles already encoded")
    args = parser.parse_args(argv)
    started = time.time()

    from sklearn.linear_model import LogisticRegression

    held = heldout_ids()
    articles = {k: v for k, v in read_articles(args.ptc / "train-articles").items() if k not in held}
    if args.cached_only:
        articles = {k: v for k, v in articles.items() if (args.cache / f"{k}.npz").exists()}
    labels = read_labels(args.ptc / "train-labels-task2-technique-classification")
    ids = sorted(articles)
    dev_ids = set(random.Random(args.seed).sample(ids, min(DEV_ARTICLES, len(ids) // 4)))
    fit_ids = [i for i in ids if i not in dev_ids]
    print(f"{len(fit_ids)} training, {len(dev_ids)} development articles, {len(held)} held out", flush=True)
    encoded = encode_all(articles, args.cache)
    print(f"encoded in {time.time() - started:.0f}s", flush=True)

    train = [(encoded[i], piece_targets(encoded[i], labels.get(i, []), len(articles[i]))) for i in fit_ids]
    dev_pairs = [(encoded[i], piece_targets(encoded[i], labels.get(i, []), len(articles[i]))) for i in sorted(dev_ids)]
    weights = train_tagger(train, args.epochs, args.seed, dev_pairs)

    # technique classifier on gold spans of the training articles
    classes = sorted({t for i in fit_ids for t, _, _ in labels.get(i, [])})
    rows, targets = [], []
    for i in fit_ids:
        counts = article_word_counts(articles[i])
        for technique, start, end in labels.get(i, []):
            rows.append(span_features(articles[i], encoded[i], start, end, counts))
            targets.append(classes.index(technique))
    features = np.stack(rows)
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    classifier = LogisticRegression(C=0.05, max_iter=2000)
    classifier.fit((features - mean) / scale, targets)
    weights.update({
        "classifier.coef": classifier.coef_.astype(np.float32),
        "classifier.intercept": classifier.intercept_.astype(np.float32),
        "feature_mean": mean.astype(np.float32), "feature_scale": scale.astype(np.float32),
    })
    meta = {
        "version": "ptc-cnn-lr-1", "classes": classes, "threshold": 0.5, "gap": 1, "min_chars": 2,
        "temperature": 1.0, "platt": [1.0, 0.0], "extra_features": EXTRA_FEATURES,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "weights.npz", **{k: v.astype(np.float16) for k, v in weights.items()})
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    # tune decoding, temperature and Platt scaling on the development articles
    model = TechniqueModel(args.out, encoder=object())  # type: ignore[arg-type]  # encoder unused: cached vectors
    dev_gold = {i: [(s, e) for _, s, e in labels.get(i, [])] for i in dev_ids}
    dev_probabilities = {i: model.piece_probabilities(encoded[i]) for i in dev_ids}
    best = tune_decoding(model, articles, encoded, dev_probabilities, dev_gold)
    print(f"development span F1 {best[0]:.4f} at threshold {best[1]:.2f}, seed {best[2]:.2f}, gap {best[3]}",
          flush=True)
    model.meta.update(threshold=best[1], seed=best[2], gap=best[3])

    # Platt scaling: does a predicted span overlap gold?
    logits, hits = [], []
    for i in dev_ids:
        for start, end, mean_p in model.decode(articles[i], encoded[i], dev_probabilities[i]):
            p = min(max(mean_p, 1e-6), 1 - 1e-6)
            logits.append([np.log(p / (1 - p))])
            hits.append(int(any(s < end and start < e for s, e in dev_gold[i])))
    platt = LogisticRegression(C=100.0).fit(np.array(logits), hits)
    model.meta["platt"] = [float(platt.coef_[0][0]), float(platt.intercept_[0])]

    # temperature for the technique probabilities, and development accuracy on gold spans
    dev_rows, dev_targets = [], []
    for i in dev_ids:
        counts = article_word_counts(articles[i])
        for technique, start, end in labels.get(i, []):
            if technique in classes:
                dev_rows.append(span_features(articles[i], encoded[i], start, end, counts))
                dev_targets.append(classes.index(technique))
    dev_logits = ((np.stack(dev_rows) - mean) / scale) @ classifier.coef_.T + classifier.intercept_
    dev_targets_array = np.array(dev_targets)
    print(f"development technique accuracy on gold spans {(dev_logits.argmax(1) == dev_targets_array).mean():.4f}")
    best_nll, best_t = float("inf"), 1.0
    for temperature in np.arange(0.5, 3.01, 0.1):
        z = dev_logits / temperature
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(z)), dev_targets_array] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best_nll, best_t = nll, float(temperature)
    model.meta["temperature"] = round(best_t, 2)
    model.meta["training_seconds"] = round(time.time() - started)
    (args.out / "meta.json").write_text(json.dumps(model.meta, indent=1), encoding="utf-8")
    print(f"saved {args.out} in {time.time() - started:.0f}s: {json.dumps(model.meta)}")


if __name__ == "__main__":
    main()
