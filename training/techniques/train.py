"""Train the technique tagger and classifier from ../shared/data/ptc (CPU, torch for training only).

    python -m training.techniques.train --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques --cache DIR

Articles listed in `sourcetrace/datasets/splits/ptc_heldout.txt` are never read for training. The rest are cut
into 5 seeded folds (--seed): for each tagger seed (--tagger-seeds) a tagger trained on four folds scores the
fifth, after each snapshot epoch (--snapshots); the mean over seeds and snapshots is the out-of-fold
ensemble probability, blended with word span rates counted on the other folds (stages/techniques/words.py; off with
--no-word-rates). On it the decoding gap and split depth and the classifier's regularisation are chosen (best
sum of span F1 and technique micro-F1 over predicted spans matched to gold), then the span-edge chooser (kept
when it raises that sum), Platt scaling, whether out-of-fold predicted spans help as extra classifier rows,
the temperature, and last the run threshold, seed, score calibration and score cut (`min_score`: the best span
F1 whose technique micro-F1 stays >= MICRO_FLOOR; the best end-to-end cut there is kept in meta too). The
shipped taggers (one per seed and snapshot, averaged at run time), word counts and classifier are then fit on all
training articles.
Word-piece vectors and taggers are cached under --cache.

Word-piece vectors come from the shared MiniLM pass (--shared-layers: the backbone's sentences each encoded alone,
as an analysis reads them; cached by `encode_layers.py`, named in meta `shared_layers`), from MiniLM cut after
--layers over sentences packed into chunks, or from an exported encoder (--encoder-file, written by
`encoder_export.py`; it is copied into --out and named in meta.json). The shipped model, ptc-mpnet-10
(one tagger, see MODEL_CARD.md), is trained with

    python -m training.techniques.encoder_export --layers 6 --out sourcetrace/data/models/techniques
    python -m training.techniques.train --ptc ../shared/data/ptc --out sourcetrace/data/models/techniques \
        --cache DIR --encoder-file sourcetrace/data/models/techniques/encoder.onnx --layers 6 --tagger-seeds 13 \
        --snapshots 6 --version ptc-mpnet-10
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from sourcetrace._ml.linear import ConditionalLogit
from sourcetrace.datasets.ptc import heldout_ids, read_articles, read_labels
from sourcetrace.datasets.semeval23 import read_semeval23
from sourcetrace.evaluate.calibration import calibration_report
from sourcetrace.evaluate.techniques import (
    evaluate as evaluate_spans,
)
from sourcetrace.evaluate.techniques import (
    match_to_gold,
    overlaps_its_technique,
    sentence_baseline,
    shown_precision,
    span_prf,
    technique_scores,
)
from sourcetrace.stages.techniques.edges import EdgeChooser, EdgeOptions, edge_options
from sourcetrace.stages.techniques.encoder import FULL_LAYERS, EncodedText, PieceEncoder, line_sentences
from sourcetrace.stages.techniques.encoder_weights import SHIPPED_ENCODER_FILE
from sourcetrace.stages.techniques.stage import (
    EXTRA_FEATURES,
    PTC_TO_2023,
    SPAN_EVIDENCE,
    TECHNIQUES,
    TechniqueModel,
    _split_merged,
    article_word_counts,
    classifier_inputs,
    merge_same_technique,
    span_evidence,
    span_features,
    to_2023,
)
from sourcetrace.stages.techniques.words import blend_inputs, save_counts, word_counts
from training.techniques.encode_layers import SHARED_FOLDER, encode_articles
from training.techniques.encoder_export import (
    ENCODER_FILE,
    ENCODER_GRAPH,
    ENCODER_TOKENIZER,
    ENCODER_WEIGHTS,
)

FOLDS = 5
BOW_FEATURES = 2**16
BOW_WEIGHT = 10.0  # hashed words next to ~800 standardised dense features: weighted up to count at all
CLASSIFIER_C = (0.001, 0.002, 0.005)
# (piece threshold, gap) tried; a run is kept when a piece reaches threshold + 0.1
DECODINGS = tuple((t, g) for t in (0.25, 0.275, 0.3, 0.325, 0.35) for g in (1, 3))
# runs cut at dips this deep between two peaks (None: not cut; TechniqueModel.decode, split_at_valleys)
SPLIT_DEPTHS = (None, 0.05, 0.1)
# the learned edge chooser (stages/techniques/edges.py): tokens an edge may move, principal components of the piece
# vectors it reads, L2 weight of its conditional logits (chosen by cross-validation, MODEL_CARD.md)
EDGE_MOVES, EDGE_COMPONENTS, EDGE_L2 = 3, 16, 1.0
# how far above the threshold a run's peak must reach (the seed), and the score cuts tried (step 5b)
SEED_LEADS = (0.0, 0.05, 0.1)
# with --keep-tagger, steps 3-3c decide at this threshold (the kept tagger's own from the development articles,
# so a rerun on a model whose threshold step 5b moved decides the same)
KEPT_TAGGER_THRESHOLD = 0.35
# run thresholds tried with them (step 5b; word span rates change the probabilities' scale)
FINAL_THRESHOLDS = (0.2, 0.25, 0.3, 0.35)
# step 5b's objective (MODEL_CARD.md): the span-identification F1, among operating points whose
# technique micro-F1 over matched spans stays this far above its 0.55 target (held-out ran up to 0.016 below CV)
MICRO_FLOOR = 0.58
SPAN_F1_TIE = 0.001  # span F1 this close to the best counts as a tie, won by the higher micro-F1
WORD_ALPHA = 5.0  # smoothing of the word span rates toward the corpus rate (pseudo-occurrences)
MIN_SCORES = tuple(round(0.01 * k, 2) for k in range(31))
# the default operating point: the lowest score cut at which this share of the shown out-of-fold spans overlap a
# gold span of their technique
PRECISION_TARGET = 0.6
PRECISION_CUTS = tuple(round(0.01 * k, 2) for k in range(96))
MIN_SPANS = 30  # techniques with fewer gold spans in training are not emitted


# the 14 classes of the PTC release (PTC_TO_2023 then lists the single names of the 18-class release)
PTC_CLASSES = tuple(PTC_TO_2023)[:14]


def to_2020(technique: str) -> str:
    """The PTC (2020) class a 2023 technique falls in; a 2023 technique PTC has no class for keeps its name."""
    return next((label for label in PTC_CLASSES if technique in PTC_TO_2023[label]), technique)


def edge_groups(articles: dict[str, str], encoded: dict[str, EncodedText], probabilities: dict[str, np.ndarray],
                spans: dict[str, list[tuple[int, int]]], labels: dict[str, list[tuple[str, int, int]]],
                moves: int = EDGE_MOVES) -> dict[str, list[tuple[EdgeOptions, int | None, int | None]]]:
    """Each decoded span's candidate edges with the gold start and end of the gold span the evaluation pairs
    it with (None when unpaired)."""
    groups: dict[str, list[tuple[EdgeOptions, int | None, int | None]]] = {}
    for i, found in spans.items():
        paired = {p: g for g, p in match_to_gold([("", s, e) for s, e in found], labels.get(i, []))}
        groups[i] = []
        for p, (start, end) in enumerate(found):
            options = edge_options(articles[i], encoded[i], probabilities[i], start, end, moves)
            if options is not None:
                gold = labels[i][paired[p]] if p in paired else None
                groups[i].append((options, gold[1] if gold else None, gold[2] if gold else None))
    return groups


def fit_edge_chooser(groups: Sequence[tuple[EdgeOptions, int | None, int | None]], components: np.ndarray,
                     center: np.ndarray, moves: int = EDGE_MOVES, l2: float = EDGE_L2) -> EdgeChooser:
    """Start and end conditional logits, each trained to put the paired gold edge first (spans whose gold edge
    is not among the candidates are left out)."""
    chooser = EdgeChooser(moves, components, center, np.zeros(0), np.zeros(0))
    start_x = np.concatenate([chooser.inputs(o.start_features, o.start_vectors) for o, _, _ in groups])
    start_y = np.concatenate([[x == gold for x in o.starts] for o, gold, _ in groups])
    end_x = np.concatenate([chooser.inputs(o.end_features, o.end_vectors) for o, _, _ in groups])
    end_y = np.concatenate([[x == gold for x in o.ends] for o, _, gold in groups])
    chooser.start_weights = ConditionalLogit.fit(start_x, start_y, [len(o.starts) for o, _, _ in groups], l2).coef_[0]
    chooser.end_weights = ConditionalLogit.fit(end_x, end_y, [len(o.ends) for o, _, _ in groups], l2).coef_[0]
    return chooser


def _fold_edge_choosers(groups: dict[str, list[tuple[EdgeOptions, int | None, int | None]]], fold_of: dict[str, int],
                        components: np.ndarray, center: np.ndarray) -> list[EdgeChooser]:
    """For each fold, the edge chooser fitted on the other folds' spans."""
    return [fit_edge_chooser([g for i, found in groups.items() if fold_of[i] != k for g in found], components, center)
            for k in range(FOLDS)]


def edge_projection(encoded: dict[str, EncodedText], ids: Sequence[str],
                    components: int = EDGE_COMPONENTS) -> tuple[np.ndarray, np.ndarray]:
    """Principal components (and mean) of the training articles' piece vectors (every 7th piece)."""
    from sklearn.decomposition import PCA

    pca = PCA(components, random_state=0).fit(np.concatenate([encoded[i].vectors[::7] for i in ids]))
    return pca.components_.astype(np.float32), pca.mean_.astype(np.float32)


def encode_all(articles: dict[str, str], cache: Path, layers: int, encoder_file: Path | None = None,
               shared_layers: Sequence[int] = ()) -> dict[str, EncodedText]:
    """Word-piece vectors of every article, cached under `cache` by encoder: with `shared_layers`, the shared
    MiniLM pass's vectors of those layers side by side (written by `encode_layers.py`, each sentence alone, as
    an analysis reads them); else the packaged MiniLM cut after `layers`, or an exported `encoder_file` with its
    tokenizer beside it (cached by the file's content), over sentences packed into chunks."""
    if shared_layers:
        folder = cache / SHARED_FOLDER
        missing = sorted(i for i in articles if not (folder / f"{i}.npz").exists())
        if missing:
            encode_articles({i: articles[i] for i in missing}, folder)
        shared = {}
        for article_id in articles:
            data = np.load(folder / f"{article_id}.npz")
            vectors = np.concatenate([data[f"l{layer}"] for layer in shared_layers], axis=1).astype(np.float32)
            shared[article_id] = EncodedText(data["offsets"], vectors, data["sentence"].astype(np.int32))
        return shared
    folder = cache / encoder_tag(layers, encoder_file)
    if encoder_file is None and layers == FULL_LAYERS:
        folder = cache
    folder.mkdir(parents=True, exist_ok=True)
    encoder = None
    encoded = {}
    for article_id, text in articles.items():
        path = folder / f"{article_id}.npz"
        if not path.exists():
            encoder = encoder or (PieceEncoder(layers=layers) if encoder_file is None else PieceEncoder(
                layers=layers, model_file=encoder_file, tokenizer_file=encoder_file.parent / ENCODER_TOKENIZER))
            result = encoder.encode(text, line_sentences(text))
            np.savez(path, offsets=result.offsets, vectors=result.vectors.astype(np.float16), sentence=result.sentence)
        data = np.load(path)
        encoded[article_id] = EncodedText(data["offsets"], data["vectors"].astype(np.float32), data["sentence"])
    return encoded


def encoder_tag(layers: int, encoder_file: Path | None, shared_layers: Sequence[int] = ()) -> str:
    """Names the cached vectors and taggers of one encoder: `shared-l3-6` for the shared pass's layers 3 and 6,
    `l3` for MiniLM's layer 3 over packed chunks, `enc-<hash of the file>` for an exported encoder."""
    if shared_layers:
        return "shared-l" + "-".join(str(layer) for layer in shared_layers)
    if encoder_file is None:
        return f"l{layers}"
    return "enc-" + hashlib.sha256(encoder_file.read_bytes()).hexdigest()[:12]


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


def train_tagger(train: list[tuple[EncodedText, np.ndarray, np.ndarray]], classes: int, epochs: int,
                 seed: int, snapshots: Sequence[int] = ()) -> dict[int, dict[str, np.ndarray]]:
    """Fit the CNN tagger for `epochs` epochs; its weights after each epoch in `snapshots` (default: the last).

    A second head names the technique of each piece inside a span (auxiliary loss, not used at run time):
    it makes the shared layers tell techniques apart, which helps the span head.
    """
    import torch

    torch.manual_seed(seed)
    model = torch.nn.ModuleDict({
        "conv1": torch.nn.Conv1d(train[0][0].vectors.shape[1], 128, 3, padding=1),
        "conv2": torch.nn.Conv1d(128, 64, 5, padding=2),
        "out": torch.nn.Linear(64, 1),
        "technique": torch.nn.Linear(64, classes),
    })
    dropout = torch.nn.Dropout(0.2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    span_loss = torch.nn.BCEWithLogitsLoss()
    technique_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)

    def forward(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(model["conv1"](dropout(x)))
        h = torch.relu(model["conv2"](dropout(h))).squeeze(0).T
        return model["out"](h).squeeze(-1), model["technique"](h)

    order = list(range(len(train)))
    rng = random.Random(seed)
    kept: dict[int, dict[str, np.ndarray]] = {}
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for index in order:
            encoded, target, techniques = train[index]
            span_logits, technique_logits = forward(torch.from_numpy(encoded.vectors).T.unsqueeze(0))
            loss = span_loss(span_logits, torch.from_numpy(target))
            if (techniques >= 0).any():
                loss = loss + 0.5 * technique_loss(technique_logits, torch.from_numpy(techniques))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        print(f"  tagger epoch {epoch + 1}: loss {total / len(order):.4f}", flush=True)
        if epoch + 1 in (snapshots or (epochs,)):
            kept[epoch + 1] = {name: value.detach().numpy().copy() for name, value in model.state_dict().items()
                               if not name.startswith("technique.")}
    return kept


def _fold_taggers(model: TechniqueModel, examples: dict[str, tuple[EncodedText, np.ndarray, np.ndarray]],
                  encoded: dict[str, EncodedText], folds: list[list[str]], classes: int, args: argparse.Namespace,
                  seed: int) -> tuple[dict[int, dict[str, np.ndarray]], dict[int, list[dict[str, np.ndarray]]]]:
    """For one tagger seed and each snapshot epoch: out-of-fold piece probabilities of every training article
    (`oof[epoch][id]`) and the taggers to ship (`final[epoch]`): one trained on all of them, or with
    --fold-ensemble the five fold taggers themselves (no sixth training run; their mean is used at run time).

    Both are cached under --cache by encoder depth, epochs, seed and fold seed (the folds come from --seed).
    """
    taxonomy = "_t2020" if args.data is not None and args.taxonomy == "2020" else ""  # its auxiliary head's classes
    name = f"tagger_{encoder_tag(args.layers, args.encoder_file, args.shared_layers)}{taxonomy}_e{args.epochs}_s{seed}"
    oof_cache = args.cache / f"{name}_f{args.seed}_oof.npz"
    final_cache = args.cache / f"{name}_final.npz"
    ids = sorted(examples)
    fold_weights: dict[int, list[dict[str, np.ndarray]]] = {e: [] for e in args.snapshots}
    if oof_cache.exists():
        stored = np.load(oof_cache)
        oof = {e: {i: stored[f"oof{e}.{i}"].astype(np.float32) for i in ids} for e in args.snapshots}
        for e in args.snapshots:
            for k in range(FOLDS):
                prefix = f"fold{k}.{e}."
                fold_weights[e].append({key[len(prefix):]: stored[key].astype(np.float32) for key in stored.files
                                        if key.startswith(prefix)})
    else:
        oof = {e: {} for e in args.snapshots}
        for k, test in enumerate(folds):
            held_fold = set(test)
            taggers = train_tagger([examples[i] for i in ids if i not in held_fold], classes, args.epochs, seed,
                                   args.snapshots)
            for epoch, weights in taggers.items():
                model.weights = weights
                oof[epoch].update({i: model.piece_probabilities(encoded[i]) for i in test})
                fold_weights[epoch].append(weights)
            print(f"  seed {seed}: fold {k + 1}/{FOLDS} tagged", flush=True)
        np.savez(oof_cache, **{f"oof{e}.{i}": p for e, probabilities in oof.items() for i, p in probabilities.items()},
                 **{f"fold{k}.{e}.{name}": value for e, members in fold_weights.items()
                    for k, weights in enumerate(members) for name, value in weights.items()})
    if args.fold_ensemble:
        return oof, fold_weights
    if final_cache.exists():
        stored = np.load(final_cache)
        final = {e: {k.split(".", 1)[1]: stored[k].astype(np.float32) for k in stored.files
                     if k.startswith(f"final{e}.")} for e in args.snapshots}
    else:
        final = train_tagger([examples[i] for i in ids], classes, args.epochs, seed, args.snapshots)
        np.savez(final_cache, **{f"final{e}.{k}": v for e, weights in final.items() for k, v in weights.items()})
    return oof, {e: [weights] for e, weights in final.items()}


def _fit_on_used_columns(classifier: Any, features: Any, targets: np.ndarray) -> Any:
    """Fit on the feature columns some training row uses, then widen the weights back with zeros.

    Most of the 2^16 hashed-word buckets are empty in training; their L2-regularised weights are 0 anyway, but
    L-BFGS would still carry them (about 20x slower). The fitted model equals a fit on all columns.
    """
    used = np.unique(features.indices)
    classifier.fit(features[:, used], targets)
    coef = np.zeros((classifier.coef_.shape[0], features.shape[1]), dtype=classifier.coef_.dtype)
    coef[:, used] = classifier.coef_
    classifier.coef_ = coef
    classifier.n_features_in_ = features.shape[1]
    return classifier


def _class_logits(classifier: Any, rows: Any, classes: int) -> np.ndarray:
    """A fold classifier's logits over all `classes`; a class missing from its four folds gets -30 (never)."""
    z = np.full((rows.shape[0], classes), -30.0)
    z[:, classifier.classes_] = classifier.decision_function(rows)
    return z


def _evidence_rows(model: TechniqueModel, articles: dict[str, str], encoded: dict[str, EncodedText],
                   probabilities: dict[str, np.ndarray], spans: dict[str, list[tuple[int, int, float]]],
                   labels: dict[str, list[tuple[str, int, int]]], inputs: Any, classifiers: list[Any],
                   fold_of: dict[str, int], classes: list[str]) -> dict[str, Any]:
    """Out-of-fold spans as the stage would emit them (named by their fold's classifier): their `span_evidence`
    rows (`SPAN_EVIDENCE` then the per-class inputs), P(span) x P(technique), whether they overlap a gold span of
    their technique, their fold, and (article, start, end, 2023 name) to score them with."""
    names = list(SPAN_EVIDENCE) + [f"is:{c}" for c in classes] + [f"log_p:{c}" for c in classes]
    rows, products, outcomes, row_folds, found_spans = [], [], [], [], []
    temperature = float(model.meta["temperature"])
    for i, found in spans.items():
        if not found:
            continue
        z = _class_logits(classifiers[fold_of[i]], inputs(i, [(s, e) for s, e, _ in found]), len(classes))
        z = z / temperature
        technique_probabilities = np.exp(z - z.max(axis=1, keepdims=True))
        technique_probabilities /= technique_probabilities.sum(axis=1, keepdims=True)
        gold = [(to_2023(label), start, end) for label, start, end in labels.get(i, [])]
        for (start, end, mean_p), row in zip(found, technique_probabilities):
            name = _split_merged(classes[int(row.argmax())], articles[i][start:end])
            span_probability = model.span_score(mean_p)
            evidence = span_evidence(articles[i], encoded[i], probabilities[i], start, end, span_probability, row,
                                     classes, model.meta["threshold"])
            rows.append([evidence[n] for n in names])
            products.append(span_probability * float(row.max()))
            outcomes.append(overlaps_its_technique(name, start, end, gold))
            row_folds.append(fold_of[i])
            found_spans.append((i, start, end, name))
    return {"names": names, "x": np.array(rows), "y": np.array(outcomes, dtype=float), "products": np.array(products),
            "folds": np.array(row_folds), "spans": found_spans}


def _fit_score_calibration(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression (C=1) on standardised inputs, returned as weights and intercept on the raw inputs."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a class never predicted: its inputs are constant
    regression = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    coef = regression.coef_[0] / scale
    return coef, float(regression.intercept_[0] - np.dot(coef, mean))


def _cross_validated_scores(evidence: dict[str, Any]) -> np.ndarray:
    """Each out-of-fold span's score from a calibration fitted on the other folds' spans."""
    x, y, folds = evidence["x"], evidence["y"], evidence["folds"]
    scores = np.zeros(len(y))
    for k in range(FOLDS):
        coef, intercept = _fit_score_calibration(x[folds != k], y[folds != k])
        scores[folds == k] = 1 / (1 + np.exp(-(x[folds == k] @ coef + intercept)))
    return scores


def _calibration_summary(scores: np.ndarray, outcomes: np.ndarray) -> str:
    report = calibration_report([float(p) for p in scores], [bool(y) for y in outcomes])
    return f"Brier {report['brier']:.4f}, ECE {report['ece']:.4f}, mean {report['mean_score']:.3f}"


class OperatingPoint(NamedTuple):
    """One (run threshold, seed, score cut) of step 5b and its out-of-fold scores."""

    threshold: float
    seed: float
    cut: float
    span_f1: float
    micro_f1: float
    end_to_end: float


def choose_operating_point(points: Sequence[OperatingPoint], micro_floor: float = MICRO_FLOOR,
                           tie: float = SPAN_F1_TIE) -> OperatingPoint:
    """The point with the best span F1 among those whose technique micro-F1 reaches `micro_floor`; points within
    `tie` of that span F1 go to the higher micro-F1. With none above the floor, the best micro-F1 (the floor is
    the second target: closest to it wins)."""
    allowed = [p for p in points if p.micro_f1 >= micro_floor]
    if not allowed:
        return max(points, key=lambda p: (p.micro_f1, p.span_f1))
    best_span = max(p.span_f1 for p in allowed)
    return max((p for p in allowed if p.span_f1 >= best_span - tie), key=lambda p: (p.micro_f1, p.span_f1))


def fold_ids(ids: list[str], seed: int, folds: int = FOLDS) -> list[list[str]]:
    """The training articles in `folds` seeded folds for cross-validation."""
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    return [sorted(shuffled[k::folds]) for k in range(folds)]


def semeval23_folds(data: Path, seed: int = 13) -> tuple[dict[str, str], dict[str, list[tuple[str, int, int]]],
                                                       list[str], list[list[str]], list[str]]:
    """A SemEval-2023 folder's articles, labels, sorted ids, cross-validation folds and technique names."""
    articles, labels = read_semeval23(data)
    ids = sorted(articles)
    classes = sorted({t for i in ids for t, _, _ in labels.get(i, [])})
    return articles, labels, ids, fold_ids(ids, seed), classes


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--ptc", type=Path, help="the PTC folder (train-articles, labels; 2020 names)")
    data.add_argument("--data", type=Path, help="a SemEval-2023 folder (articles/, spans/; 2023 names): all its "
                      "articles are cross-validated, none held out")
    parser.add_argument("--taxonomy", choices=("2023", "2020"), default="2023",
                        help="with --data, 2020: train on the 14 PTC classes its 2023 labels collapse to (the "
                             "merged classes' members told apart by cue rules), to compare with the 2023 labels")
    parser.add_argument("--report", type=Path, default=None,
                        help="write the cross-validation report (per fold, mean and spread) as JSON here")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--cache", type=Path, required=True, help="folder for encoded vectors and tagger runs")
    parser.add_argument("--layers", type=int, default=3, help="MiniLM layers the tagger reads (6 = all)")
    parser.add_argument("--shared-layers", type=int, nargs="+", default=[],
                        help="the tagger reads these layers of the shared MiniLM pass side by side (each sentence "
                             "alone, as in an analysis; encode_layers.py caches them); replaces --layers")
    parser.add_argument("--classifier-layers", type=int, nargs="+", default=[],
                        help="shared-pass layers the technique classifier's span and sentence vectors come from "
                             "(default: the tagger's --shared-layers); meta `shared_layers` then holds both")
    parser.add_argument("--encoder-file", type=Path, default=None,
                        help="an exported encoder (encoder_export.py; its tokenizer beside it) instead of "
                             "MiniLM; --layers then records how many layers it kept")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=13, help="seed of the cross-validation folds")
    parser.add_argument("--tagger-seeds", type=int, nargs="+", default=[14, 15],
                        help="one tagger training run per seed; the shipped tagger is the mean of all their snapshots")
    parser.add_argument("--snapshots", type=int, nargs="+", default=[4, 5, 6],
                        help="epochs whose weights join the ensemble (the last one is --epochs)")
    parser.add_argument("--narrow", action="store_true",
                        help="choose among a few settings around the earlier models' choices (classifier C 0.005, "
                             "threshold 0.3 and gap 1 with split depth 0.1 for steps 3-3c; run thresholds 0.25 and "
                             "0.3 with seed leads 0 and 0.1 for step 5b): a CPU-bound run in a fraction of the time")
    parser.add_argument("--classifier-c", type=float, nargs="+", default=None,
                        help="the technique classifier's regularisation values to choose among (after --narrow)")
    parser.add_argument("--fold-ensemble", action="store_true",
                        help="ship the five fold taggers of each seed and snapshot (their mean) instead of training "
                             "one more on all articles")
    parser.add_argument("--keep-tagger", action="store_true",
                        help="keep the tagger, its decoding and Platt scaling of the model in --out; refit only "
                             "the technique classifier (C by cross-validation at the kept decoding)")
    parser.add_argument("--version", default="ptc-cnn-lr-6",
                        help="meta.json `version` of the new model (with --keep-tagger the kept model's stays)")
    parser.add_argument("--no-word-rates", dest="word_rates", action="store_false",
                        help="do not blend the tagger's probabilities with word span rates (words.py)")
    args = parser.parse_args(argv)
    if args.keep_tagger and args.encoder_file is None:  # before any article is read or encoded
        kept_meta = json.loads((args.out / "meta.json").read_text(encoding="utf-8"))
        kept_encoder = kept_meta.get("encoder_graph") or kept_meta.get("encoder_file")
        if kept_encoder:
            parser.error(f"{args.out / 'meta.json'}: the kept tagger reads {kept_encoder}; pass it as "
                         "--encoder-file (with its --layers)")
    return args


@dataclass
class TrainingRun:
    """What every step reads: the arguments, the training articles with their gold labels and folds, their cached
    piece vectors, and the model being built (its meta filled in step by step). `out_of_fold`: each article's
    piece probabilities from taggers that never saw it (step 1, blended with word span rates in step 1a)."""

    args: argparse.Namespace
    started: float
    articles: dict[str, str]
    labels: dict[str, list[tuple[str, int, int]]]
    ids: list[str]
    folds: list[list[str]]
    fold_of: dict[str, int]
    encoded: dict[str, EncodedText]
    classes: list[str]
    gold_spans: dict[str, list[tuple[int, int]]]
    model: TechniqueModel
    examples: dict[str, tuple[EncodedText, np.ndarray, np.ndarray]]
    kept: dict[str, Any]
    gold_2023: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # the labels in 2023 names
    # the vectors the technique classifier reads (`--classifier-layers`); the tagger's when none are given
    classifier_encoded: dict[str, EncodedText] = field(default_factory=dict)
    out_of_fold: dict[str, np.ndarray] = field(default_factory=dict)

    def seconds(self) -> float:
        return time.time() - self.started

    def micro_f1(self, named: dict[str, list[tuple[str, int, int]]]) -> float:
        return technique_scores(named, {i: self.labels.get(i, []) for i in self.ids})["micro_f1"]


def load_training_run(args: argparse.Namespace) -> TrainingRun:
    """Read the training articles (never the held-out ones), encode them (cached), and write an empty model to
    decode with while the taggers train (decoding needs only meta); with --keep-tagger, the kept tagger's
    weights and decoding are read first."""
    started = time.time()
    if args.data is not None:
        held: set[str] = set()
        articles, gold_2023 = read_semeval23(args.data)
        labels = gold_2023 if args.taxonomy == "2023" else {
            i: [(to_2020(t), s, e) for t, s, e in found] for i, found in gold_2023.items()}
    else:
        held = heldout_ids()
        articles = {k: v for k, v in read_articles(args.ptc / "train-articles").items() if k not in held}
        labels = read_labels(args.ptc / "train-labels-task2-technique-classification")
        gold_2023 = {i: [(to_2023(t)[0], s, e) for t, s, e in found] for i, found in labels.items()}
    ids = sorted(articles)
    folds = fold_ids(ids, args.seed)
    print(f"{len(ids)} training articles in {FOLDS} folds, {len(held)} held out", flush=True)
    encoded = encode_all(articles, args.cache, args.layers, args.encoder_file, args.shared_layers)
    classifier_layers = list(args.classifier_layers or args.shared_layers)
    classifier_encoded = (encode_all(articles, args.cache, args.layers, None, classifier_layers)
                          if classifier_layers != list(args.shared_layers) else encoded)
    print(f"encoded in {time.time() - started:.0f}s", flush=True)
    classes = sorted({t for i in ids for t, _, _ in labels.get(i, [])})
    gold_spans = {i: [(s, e) for _, s, e in labels.get(i, [])] for i in ids}
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": args.version, "classes": classes, "threshold": 0.5, "gap": 1, "min_chars": 2,
        "temperature": 1.0, "platt": [1.0, 0.0], "extra_features": EXTRA_FEATURES,
        **(shared_layers_meta(args) if args.shared_layers else {"encoder_layers": args.layers}),
        "bow_features": BOW_FEATURES, "bow_weight": BOW_WEIGHT,
    }
    kept: dict[str, Any] = {}
    if args.keep_tagger:  # the shipped tagger's weights and decoding, read before anything is overwritten
        kept_meta = json.loads((args.out / "meta.json").read_text(encoding="utf-8"))
        stored = np.load(args.out / "weights.npz")
        kept = {"weights": {k: stored[k].astype(np.float32) for k in stored.files
                            if not k.startswith(("classifier.", "feature_"))},
                "meta": {k: v for k, v in kept_meta.items()
                         if k in ("version", "threshold", "seed", "gap", "tagger_epoch") or
                         (k == "platt" and not args.word_rates)}}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    np.savez_compressed(args.out / "weights.npz", placeholder=np.zeros(1))
    model = TechniqueModel(args.out, encoder=object())  # type: ignore[arg-type]  # encoder unused: cached vectors
    examples = {i: (encoded[i], piece_targets(encoded[i], labels.get(i, []), len(articles[i])),
                    piece_techniques(encoded[i], labels.get(i, []), classes)) for i in ids}
    return TrainingRun(args=args, started=started, articles=articles, labels=labels, ids=ids, folds=folds,
                       fold_of={i: k for k, test in enumerate(folds) for i in test}, encoded=encoded,
                       classes=classes, gold_spans=gold_spans, model=model, examples=examples, kept=kept,
                       gold_2023={i: gold_2023.get(i, []) for i in ids}, classifier_encoded=classifier_encoded)


def shared_layers_meta(args: argparse.Namespace) -> dict[str, list[int]]:
    """Meta `shared_layers` (every layer the model reads from the shared pass, side by side in that order), with
    `tagger_layers` and `classifier_layers` when the classifier reads other layers than the tagger."""
    tagger, classifier = list(args.shared_layers), list(args.classifier_layers or args.shared_layers)
    if classifier == tagger:
        return {"shared_layers": tagger}
    return {"shared_layers": sorted(set(tagger) | set(classifier)), "tagger_layers": tagger,
            "classifier_layers": classifier}


def train_taggers(run: TrainingRun) -> tuple[dict[str, np.ndarray], int]:
    """Step 1. For each tagger seed and snapshot epoch: out-of-fold probabilities (each fold's articles scored by
    a tagger trained on the other folds) and the shipped tagger (all training articles); cached, as they are the
    slow part. The ensemble's out-of-fold probability is the mean over all of them, as at run time. Returns the
    ensemble's weights and its number of members."""
    member_oof, members = [], []
    for tagger_seed in run.args.tagger_seeds:
        oof, final = _fold_taggers(run.model, run.examples, run.encoded, run.folds, len(run.classes), run.args,
                                   tagger_seed)
        member_oof += [oof[e] for e in run.args.snapshots]
        members += [weights for e in run.args.snapshots for weights in final[e]]
        print(f"tagger seed {tagger_seed} ready ({run.seconds():.0f}s)", flush=True)
    run.out_of_fold = {i: np.mean([oof[i] for oof in member_oof], axis=0) for i in run.ids}
    weights = {f"tagger{k}.{name}": value for k, tagger in enumerate(members) for name, value in tagger.items()}
    return weights, len(members)


def blend_word_rates(run: TrainingRun) -> dict[str, Any]:
    """Step 1a. Word span rates (stages/techniques/words.py): each fold's pieces get their words' rates counted
    on the other folds and are blended by a regression fitted on the other folds' pieces, so everything chosen
    below sees out-of-fold blended probabilities, as the held-out articles will; the shipped counts use all
    articles. Returns meta `word_rate_blend` (empty with --no-word-rates)."""
    if not run.args.word_rates:
        return {}
    ids, folds, fold_of = run.ids, run.folds, run.fold_of
    fold_counts = [word_counts((run.articles[i], run.gold_spans[i]) for i in ids if fold_of[i] != k)
                   for k in range(FOLDS)]
    blend_rows = {i: blend_inputs(run.articles[i], run.encoded[i], run.out_of_fold[i], *fold_counts[fold_of[i]],
                                  WORD_ALPHA) for i in ids}

    def fit_blend(train_ids: list[str]) -> LogisticRegression:
        return LogisticRegression(C=1.0, max_iter=3000).fit(
            np.concatenate([blend_rows[i] for i in train_ids]),
            np.concatenate([run.examples[i][1] for i in train_ids]))

    blended = {}
    for k in range(FOLDS):
        regression = fit_blend([i for i in ids if fold_of[i] != k])
        blended.update({i: regression.predict_proba(blend_rows[i])[:, 1].astype(np.float32) for i in folds[k]})
    regression = fit_blend(ids)
    word_blend = {"alpha": WORD_ALPHA, "coef": [round(float(c), 6) for c in regression.coef_[0]],
                  "intercept": round(float(regression.intercept_[0]), 6)}
    run.out_of_fold = blended
    print(f"word span rates blended: {word_blend}", flush=True)
    return word_blend


class ClassifierRows:
    """The technique classifier's inputs: the gold spans' rows, standardised by the gold spans' mean and scale,
    and (step 3b) out-of-fold predicted spans paired with gold the way the metric pairs them."""

    def __init__(self, run: TrainingRun) -> None:
        self.run = run
        self.with_gold = [i for i in run.ids if run.gold_spans[i]]
        dense = np.concatenate([
            np.stack([span_features(run.articles[i], run.classifier_encoded[i], s, e,
                                    article_word_counts(run.articles[i]))
                      for s, e in run.gold_spans[i]]) for i in self.with_gold])
        self.mean, self.scale = dense.mean(axis=0), dense.std(axis=0) + 1e-6
        self.gold_rows = {i: self.inputs(i, run.gold_spans[i]) for i in self.with_gold}
        self.gold_targets = {i: np.array([run.classes.index(t) for t, _, _ in run.labels[i]])
                             for i in self.with_gold}
        self.matched_rows: dict[str, object] = {}
        self.matched_targets: dict[str, np.ndarray] = {}

    def inputs(self, i: str, spans: list[tuple[int, int]]) -> object:
        return classifier_inputs(self.run.articles[i], self.run.classifier_encoded[i], spans, self.mean, self.scale,
                                 BOW_FEATURES, BOW_WEIGHT)

    def fit(self, train_ids: list[str], c: float, predicted: bool = False) -> LogisticRegression:
        sources = [(self.gold_rows, self.gold_targets)]
        if predicted:
            sources.append((self.matched_rows, self.matched_targets))
        features = scipy.sparse.vstack([rows[i] for rows, _ in sources for i in train_ids if i in rows]).tocsr()
        targets = np.concatenate([y[i] for rows, y in sources for i in train_ids if i in rows])
        return _fit_on_used_columns(LogisticRegression(C=c, max_iter=3000), features, targets)


def fit_fold_classifiers(run: TrainingRun, rows: ClassifierRows) -> dict[float, list[LogisticRegression]]:
    """Step 2. Technique classifiers on the gold spans of four folds, for each C."""
    fold_classifiers = {c: [rows.fit([i for i in run.ids if run.fold_of[i] != k], c) for k in range(FOLDS)]
                        for c in CLASSIFIER_C}
    print(f"fold classifiers trained ({run.seconds():.0f}s)", flush=True)
    return fold_classifiers


@dataclass
class Decoding:
    """The choices of steps 3 to 3b and their cross-validated scores: classifier C, the out-of-fold spans as
    decoded (and moved by the edge chooser when it is used), whether the edge chooser and the predicted-span
    rows are used, and the classifiers of each fold that name spans as the shipped classifier will."""

    c: float
    cv_span_f1: float
    cv_micro: float
    oof_spans: dict[str, list[tuple[int, int, float]]]
    components: np.ndarray
    center: np.ndarray
    use_edges: bool = False
    edge_weights: dict[str, np.ndarray] = field(default_factory=dict)
    use_predicted: bool = False
    naming: list[Any] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def choose_decoding(run: TrainingRun, rows: ClassifierRows,
                    fold_classifiers: dict[float, list[LogisticRegression]]) -> Decoding:
    """Step 3. Decoding and C chosen together on the out-of-fold spans: the best sum of span F1 and technique
    micro-F1 over spans matched to gold. Span F1 alone prefers many low-probability spans, and those are the
    ones whose technique is named worst (the model card has the numbers). With --keep-tagger only the split
    depth and C are chosen (at KEPT_TAGGER_THRESHOLD and the kept gap); step 5b then sets the threshold."""
    model, ids = run.model, run.ids
    choice: tuple = (-1.0,)
    decodings = ((KEPT_TAGGER_THRESHOLD, run.kept["meta"]["gap"]),) if run.kept else DECODINGS
    for (threshold, gap), split_depth in ((d, depth) for d in decodings for depth in SPLIT_DEPTHS):
        model.meta.update(threshold=threshold, seed=round(threshold + 0.1, 2), gap=gap, split_depth=split_depth)
        spans = {i: [(s, e) for s, e, _ in model.decode(run.articles[i], run.encoded[i], run.out_of_fold[i])]
                 for i in ids}
        span_f1 = span_prf(spans, run.gold_spans)[2]
        span_rows = {i: rows.inputs(i, spans[i]) for i in ids if spans[i]}
        for c in CLASSIFIER_C:
            named = {i: [(_split_merged(run.classes[int(k)], run.articles[i][s:e]), s, e)
                         for (s, e), k in zip(spans[i], fold_classifiers[c][run.fold_of[i]].predict(span_rows[i]))]
                     for i in span_rows}
            micro = run.micro_f1(named)
            print(f"threshold {threshold} gap {gap} split {split_depth} C={c}: cross-validated span F1 "
                  f"{span_f1:.4f}, technique micro-F1 on matched spans {micro:.4f}", flush=True)
            if span_f1 + micro > choice[0]:
                choice = (span_f1 + micro, threshold, gap, split_depth, c, span_f1, micro)
    _, threshold, gap, split_depth, best_c, cv_span_f1, cv_micro = choice
    model.meta.update(threshold=threshold, seed=round(threshold + 0.1, 2), gap=gap, split_depth=split_depth,
                      classifier_c=best_c)
    oof_spans = {i: model.decode(run.articles[i], run.encoded[i], run.out_of_fold[i]) for i in ids}
    components, center = edge_projection(run.encoded, ids)
    return Decoding(best_c, cv_span_f1, cv_micro, oof_spans, components, center)


def choose_edge_chooser(run: TrainingRun, rows: ClassifierRows, fold_classifiers: dict[float, list[Any]],
                        decoding: Decoding) -> None:
    """Step 3c. The learned edge chooser (stages/techniques/edges.py): fitted on four folds' out-of-fold spans,
    moving the fifth's, which that fold's classifier then names; used when the sum of the two scores rises."""
    ids, model = run.ids, run.model
    decoded = {i: [(s, e) for s, e, _ in decoding.oof_spans[i]] for i in ids}
    groups = edge_groups(run.articles, run.encoded, run.out_of_fold, decoded, run.labels)
    moved = {}
    for k, chooser in enumerate(_fold_edge_choosers(groups, run.fold_of, decoding.components, decoding.center)):
        moved.update({i: chooser.move(run.articles[i], run.encoded[i], run.out_of_fold[i], decoded[i])
                      for i in run.folds[k]})
    moved_rows = {i: rows.inputs(i, moved[i]) for i in ids if moved[i]}
    named = {i: [(_split_merged(run.classes[int(k)], run.articles[i][s:e]), s, e)
                 for (s, e), k in zip(moved[i], fold_classifiers[decoding.c][run.fold_of[i]].predict(moved_rows[i]))]
             for i in moved_rows}
    edge_span_f1 = span_prf(moved, run.gold_spans)[2]
    edge_micro = run.micro_f1(named)
    decoding.use_edges = edge_span_f1 + edge_micro > decoding.cv_span_f1 + decoding.cv_micro
    print(f"edge chooser: cross-validated span F1 {edge_span_f1:.4f}, technique micro-F1 {edge_micro:.4f} "
          f"(decoded edges {decoding.cv_span_f1:.4f}, {decoding.cv_micro:.4f}); used: {decoding.use_edges}",
          flush=True)
    if decoding.use_edges:
        chooser = fit_edge_chooser([g for i in ids for g in groups[i]], decoding.components, decoding.center)
        decoding.edge_weights = {"edges.components": decoding.components, "edges.center": decoding.center,
                                 "edges.start_weights": chooser.start_weights,
                                 "edges.end_weights": chooser.end_weights}
        model.meta.update(edge_moves=EDGE_MOVES)
        decoding.oof_spans = {i: [(s, e, p) for (s, e), (_, _, p) in zip(moved[i], decoding.oof_spans[i])]
                              for i in ids}
        decoding.cv_span_f1, decoding.cv_micro = edge_span_f1, edge_micro


def choose_predicted_span_rows(run: TrainingRun, rows: ClassifierRows,
                               fold_classifiers: dict[float, list[Any]], decoding: Decoding) -> None:
    """Step 3b. Out-of-fold predicted spans as extra classifier rows: each paired with a gold span the way the
    metric pairs them, labelled with that span's technique. They look like run-time spans (edges off gold, often
    wider); used only when cross-validation at the chosen decoding says they help."""
    ids = run.ids
    for i in ids:
        spans = [(s, e) for s, e, _ in decoding.oof_spans[i]]
        pairs = match_to_gold([("", s, e) for s, e in spans], run.labels.get(i, []))
        if pairs:
            rows.matched_rows[i] = rows.inputs(i, [spans[p] for _, p in pairs])
            rows.matched_targets[i] = np.array([run.classes.index(run.labels[i][g][0]) for g, _ in pairs])
    named = {}
    predicted_fold_classifiers = []
    for k in range(FOLDS):
        classifier = rows.fit([i for i in ids if run.fold_of[i] != k], decoding.c, predicted=True)
        predicted_fold_classifiers.append(classifier)
        for i in run.folds[k]:
            spans = [(s, e) for s, e, _ in decoding.oof_spans[i]]
            if spans:
                named[i] = [(_split_merged(run.classes[int(c)], run.articles[i][s:e]), s, e)
                            for (s, e), c in zip(spans, classifier.predict(rows.inputs(i, spans)))]
    micro_predicted = run.micro_f1(named)
    decoding.use_predicted = micro_predicted > decoding.cv_micro
    print(f"classifier also trained on out-of-fold predicted spans: cross-validated technique micro-F1 "
          f"{micro_predicted:.4f} (gold spans only {decoding.cv_micro:.4f}); used: {decoding.use_predicted}",
          flush=True)
    if decoding.use_predicted:
        decoding.cv_micro = micro_predicted
    run.model.meta.update(classifier_predicted_spans=decoding.use_predicted)
    # the classifiers that name each fold's spans as the shipped classifier will (step 5b)
    decoding.naming = predicted_fold_classifiers if decoding.use_predicted else fold_classifiers[decoding.c]


def fit_platt_scaling(run: TrainingRun, decoding: Decoding, weights: dict[str, np.ndarray],
                      members: int) -> dict[str, np.ndarray]:
    """Step 4. Platt scaling on the out-of-fold spans: does a predicted span overlap gold? Returns the tagger
    weights to ship (the kept tagger's with --keep-tagger)."""
    logits, hits = [], []
    for i in run.ids:
        for start, end, mean_p in decoding.oof_spans[i]:
            p = min(max(mean_p, 1e-6), 1 - 1e-6)
            logits.append([np.log(p / (1 - p))])
            hits.append(int(any(s < end and start < e for s, e in run.gold_spans[i])))
    platt = LogisticRegression(C=100.0).fit(np.array(logits), hits)
    run.model.meta["platt"] = [float(platt.coef_[0][0]), float(platt.intercept_[0])]
    if run.kept:
        run.model.meta.update(run.kept["meta"])
        return {k: v for k, v in run.kept["weights"].items() if not k.startswith("edges.")}
    run.model.meta.update(taggers=members, tagger_seeds=run.args.tagger_seeds, tagger_snapshots=run.args.snapshots)
    return weights


def fit_temperature(run: TrainingRun, rows: ClassifierRows, fold_classifiers: list[Any]) -> None:
    """Step 5. Temperature for the technique probabilities, on the cross-validated logits of the gold spans."""
    fold_logits, fold_targets = [], []
    for i in rows.with_gold:
        classifier = fold_classifiers[run.fold_of[i]]
        fold_logits.append(_class_logits(classifier, rows.gold_rows[i], len(run.classes)))
        fold_targets.append(rows.gold_targets[i])
    logits_array, targets_array = np.concatenate(fold_logits), np.concatenate(fold_targets)
    print(f"cross-validated technique accuracy on gold spans {(logits_array.argmax(1) == targets_array).mean():.4f}")
    best_nll, best_t = float("inf"), 1.0
    for temperature in np.arange(0.5, 3.01, 0.1):
        z = logits_array / temperature
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(z)), targets_array] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best_nll, best_t = nll, float(temperature)
    run.model.meta["temperature"] = round(best_t, 2)


def choose_operating_point_and_score(run: TrainingRun, rows: ClassifierRows, decoding: Decoding) -> None:
    """Step 5b. The threshold, seed, score and cut. For each run threshold and seed (the peak a run must reach,
    SEED_LEADS above the threshold): the out-of-fold spans as the stage would emit them (decoded, edges moved by
    their fold's chooser, fitted at that threshold as in 3c, named by their fold's classifier), scored by a
    logistic regression fitted on the other folds' spans to the event the score claims (the span overlaps a gold
    span of its technique). `choose_operating_point` picks the threshold, seed and cut (`min_score`): the best
    span F1 whose technique micro-F1 stays above MICRO_FLOOR. The cut with the best end-to-end F1 (right-technique
    spans over all emitted and over all gold) at that threshold and seed is kept in meta for users who want
    fewer, better-named spans. The shipped calibration (and edge chooser) are then fitted on all five folds'
    spans at the chosen threshold and seed."""
    model, ids, articles, encoded = run.model, run.ids, run.articles, run.encoded
    gold_labels = {i: run.labels.get(i, []) for i in ids}
    points: list[OperatingPoint] = []
    fitted: dict[tuple[float, float], tuple[dict, dict]] = {}  # (threshold, seed) -> (evidence, edge groups)
    shipped_edges = model.edges
    for run_threshold in FINAL_THRESHOLDS:
        model.meta.update(threshold=run_threshold, seed=round(run_threshold + 0.1, 2))
        decoded = {i: [(s, e) for s, e, _ in model.decode(articles[i], encoded[i], run.out_of_fold[i])] for i in ids}
        groups = edge_groups(articles, encoded, run.out_of_fold, decoded, run.labels)
        fold_choosers = _fold_edge_choosers(groups, run.fold_of, decoding.components, decoding.center)
        for lead in SEED_LEADS:
            model.meta.update(seed=round(run_threshold + lead, 2))
            emitted = {}
            for i in ids:
                model.edges = fold_choosers[run.fold_of[i]] if decoding.use_edges else None
                emitted[i] = model.move_edges(articles[i], encoded[i], run.out_of_fold[i],
                                              model.decode(articles[i], encoded[i], run.out_of_fold[i]))
            evidence = _evidence_rows(model, articles, encoded, run.out_of_fold, emitted, run.labels, rows.inputs,
                                      decoding.naming, run.fold_of, run.classes)
            scores = _cross_validated_scores(evidence)
            print(f"threshold {run_threshold} seed {model.meta['seed']}: {len(scores)} out-of-fold spans "
                  f"({evidence['y'].mean():.3f} right); P(span) x P(technique) "
                  f"{_calibration_summary(evidence['products'], evidence['y'])}; fitted, cross-validated "
                  f"{_calibration_summary(scores, evidence['y'])}", flush=True)
            for cut in MIN_SCORES:
                above: dict[str, list[tuple[str, int, int, float]]] = {i: [] for i in ids}
                for (i, start, end, name), score in zip(evidence["spans"], scores):
                    if score >= cut:
                        above[i].append((name, start, end, float(score)))
                kept_spans = {i: [(name, start, end) for name, start, end, _ in
                                  merge_same_technique(articles[i], found)] for i, found in above.items()}
                span_f1 = span_prf({i: [(s, e) for _, s, e in v] for i, v in kept_spans.items()},
                                   run.gold_spans)[2]
                result = technique_scores(kept_spans, gold_labels)
                end_to_end = result["end_to_end"]["f1"]
                print(f"  min_score {cut:.2f}: span F1 {span_f1:.4f}, technique micro-F1 "
                      f"{result['micro_f1']:.4f}, end-to-end F1 {end_to_end:.4f}", flush=True)
                points.append(OperatingPoint(run_threshold, model.meta["seed"], cut, span_f1, result["micro_f1"],
                                             end_to_end))
            fitted[(run_threshold, model.meta["seed"])] = (evidence, groups)
    model.edges = shipped_edges
    chosen = choose_operating_point(points)
    threshold, seed, cut = chosen.threshold, chosen.seed, chosen.cut
    decoding.cv_span_f1, decoding.cv_micro = chosen.span_f1, chosen.micro_f1
    fewer = max((p for p in points if (p.threshold, p.seed) == (threshold, seed)), key=lambda p: p.end_to_end)
    evidence, groups = fitted[(threshold, seed)]
    coef, intercept = _fit_score_calibration(evidence["x"], evidence["y"])
    model.meta.update(threshold=threshold, seed=seed, min_score=cut, cv_end_to_end_f1=round(chosen.end_to_end, 4),
                      end_to_end_min_score=fewer.cut, cv_end_to_end_f1_at_that_cut=round(fewer.end_to_end, 4),
                      score_calibration={"inputs": evidence["names"], "coef": [round(float(c), 6) for c in coef],
                                         "intercept": round(intercept, 6)})
    # the precision cut becomes meta `min_score`, the cut chosen above `recall_min_score`
    decoding.report = cross_validation_report(run, evidence, _cross_validated_scores(evidence), cut)
    if decoding.use_edges:
        chooser = fit_edge_chooser([g for i in ids for g in groups[i]], decoding.components, decoding.center)
        decoding.edge_weights.update({"edges.start_weights": chooser.start_weights,
                                      "edges.end_weights": chooser.end_weights})
    print(f"chosen: threshold {threshold}, seed {seed}, min_score {cut} (span F1 {decoding.cv_span_f1:.4f}, "
          f"technique micro-F1 {decoding.cv_micro:.4f}, end-to-end F1 {chosen.end_to_end:.4f}); best end-to-end "
          f"there: min_score {fewer.cut} ({fewer.span_f1:.4f} / {fewer.micro_f1:.4f} / {fewer.end_to_end:.4f})",
          flush=True)


def rare_techniques(run: TrainingRun, min_spans: int = MIN_SPANS) -> list[str]:
    """2023 techniques with fewer than `min_spans` gold spans in the training articles: too few to learn, so the
    model does not emit them."""
    counts = Counter(t for i in run.ids for t, _, _ in run.gold_2023.get(i, []))
    return sorted(t for t in TECHNIQUES if counts[t] < min_spans)


def _fold_scores(articles: dict[str, str], kept: dict[str, list[tuple[str, int, int]]],
                 gold: dict[str, list[tuple[str, int, int]]]) -> dict[str, float]:
    result = evaluate_spans(kept, gold, articles)
    return {"span_f1": result["span"]["f1"], "span_precision": result["span"]["precision"],
            "span_recall": result["span"]["recall"], "labelled_span_f1": result["labelled_span"]["f1"],
            "shown_precision": result["shown_precision"], "technique_micro_f1": result["technique"]["micro_f1"],
            "end_to_end_f1": result["technique"]["end_to_end"]["f1"],
            "spans_per_1000_words": result["spans_per_1000_words"]}


def _mean_spread(rows: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, lowest and highest of each score over the folds."""
    return {name: {"mean": round(float(np.mean([r[name] for r in rows])), 4),
                   "sd": round(float(np.std([r[name] for r in rows], ddof=1)), 4),
                   "min": round(float(min(r[name] for r in rows)), 4),
                   "max": round(float(max(r[name] for r in rows)), 4)} for name in rows[0]}


def cross_validation_report(run: TrainingRun, evidence: dict[str, Any], scores: np.ndarray,
                            recall_cut: float) -> dict[str, Any]:
    """The out-of-fold spans at the chosen threshold and seed, scored by calibrations fitted on the other folds,
    against the 2023 gold of each fold: at the span-F1 cut (`recall`, for triage) and at the lowest cut where at
    least PRECISION_TARGET of the shown spans overlap a gold span of their technique (`precision`, the default),
    per fold with mean and spread; the every-line baseline beside them; the reliability table of the scores.
    Techniques in `rare_techniques` are not emitted. Sets meta `min_score` (the precision cut),
    `recall_min_score` and `not_emitted`."""
    rare = set(rare_techniques(run))
    spans = [(item, float(score)) for item, score in zip(evidence["spans"], scores) if item[3] not in rare]

    def kept_at(cut: float, ids: Sequence[str]) -> dict[str, list[tuple[str, int, int]]]:
        wanted = set(ids)
        above: dict[str, list[tuple[str, int, int, float]]] = {i: [] for i in ids}
        for (i, start, end, name), score in spans:
            if i in wanted and score >= cut:
                above[i].append((name, start, end, score))
        return {i: [(n, s, e) for n, s, e, _ in merge_same_technique(run.articles[i], found)]
                for i, found in above.items()}

    precision_cut = next((cut for cut in PRECISION_CUTS
                          if shown_precision(kept_at(cut, run.ids), run.gold_2023) >= PRECISION_TARGET),
                         PRECISION_CUTS[-1])
    if run.args.report is not None:  # every out-of-fold span with its score, to score any cut with `evaluate`
        run.args.report.with_suffix(".oof-scored.tsv").write_text("".join(
            f"{i}\t{name}\t{start}\t{end}\t{score:.4f}\n" for (i, start, end, name), score in spans),
            encoding="utf-8")
    report: dict[str, Any] = {"folds": FOLDS, "fold_seed": run.args.seed, "articles": len(run.ids),
                              "not_emitted": sorted(rare), "precision_target": PRECISION_TARGET,
                              "operating_points": {}}
    for name, cut in (("precision", precision_cut), ("recall", recall_cut)):
        rows = []
        for fold in run.folds:
            texts = {i: run.articles[i] for i in fold}
            rows.append(_fold_scores(texts, kept_at(cut, fold), {i: run.gold_2023[i] for i in fold}))
        pooled = evaluate_spans(kept_at(cut, run.ids), run.gold_2023, run.articles)
        if run.args.report is not None:  # the out-of-fold spans themselves, to score any subset with `evaluate`
            kept = kept_at(cut, run.ids)
            run.args.report.with_suffix(f".oof-{name}.labels").write_text("".join(
                f"{i}\t{n}\t{s}\t{e}\n" for i in run.ids for n, s, e in kept[i]), encoding="utf-8")
        report["operating_points"][name] = {
            "min_score": cut, "per_fold": rows, "across_folds": _mean_spread(rows),
            "per_technique": {t: {k: round(v, 4) for k, v in row.items()}
                              for t, row in pooled["technique"]["per_technique"].items()}}
    baseline_rows = []
    for fold in run.folds:
        texts = {i: run.articles[i] for i in fold}
        baseline_rows.append(_fold_scores(texts, sentence_baseline(texts), {i: run.gold_2023[i] for i in fold}))
    report["baseline_every_line"] = {"per_fold": baseline_rows, "across_folds": _mean_spread(baseline_rows)}
    outcomes = [overlaps_its_technique(name, start, end, [(to_2023(t), s, e) for t, s, e in run.gold_2023[i]])
                for (i, start, end, name), _ in spans]
    report["calibration"] = calibration_report([score for _, score in spans], outcomes)
    run.model.meta.update(min_score=precision_cut, recall_min_score=recall_cut, not_emitted=sorted(rare))
    for name, point in report["operating_points"].items():
        folds = point["across_folds"]
        print(f"{name} point (min_score {point['min_score']}): span F1 {folds['span_f1']['mean']:.4f} "
              f"± {folds['span_f1']['sd']:.4f}, with the right technique {folds['labelled_span_f1']['mean']:.4f} "
              f"± {folds['labelled_span_f1']['sd']:.4f}, shown precision {folds['shown_precision']['mean']:.4f}, "
              f"{folds['spans_per_1000_words']['mean']:.1f} spans per 1,000 words", flush=True)
    return report


def save_model(run: TrainingRun, rows: ClassifierRows, decoding: Decoding, weights: dict[str, np.ndarray],
               word_blend: dict[str, Any]) -> None:
    """Step 6. The shipped classifier (all training articles: gold spans, and predicted spans when 3b says so),
    the weights, word span rates, the exported encoder (when one was given) and meta.json, into --out."""
    args, model, ids = run.args, run.model, run.ids
    classifier = rows.fit(ids, decoding.c, predicted=decoding.use_predicted)
    weights = {
        **weights,
        "classifier.coef": classifier.coef_.astype(np.float32),
        "classifier.intercept": classifier.intercept_.astype(np.float32),
        "feature_mean": rows.mean.astype(np.float32), "feature_scale": rows.scale.astype(np.float32),
        **decoding.edge_weights,
    }
    np.savez_compressed(args.out / "weights.npz", **{k: v.astype(np.float16) for k, v in weights.items()})
    (args.out / "word_rates.npz").unlink(missing_ok=True)
    model.meta.pop("word_rate_blend", None)
    if word_blend:
        save_counts(args.out / "word_rates.npz", *word_counts((run.articles[i], run.gold_spans[i]) for i in ids))
        model.meta["word_rate_blend"] = word_blend
    if not run.kept:
        model.meta["tagger_epochs"] = args.epochs
    if args.encoder_file is not None:
        _copy_encoder(args, model)
    model.meta.update(cv_span_f1=round(decoding.cv_span_f1, 4), cv_technique_micro_f1=round(decoding.cv_micro, 4),
                      training_seconds=round(run.seconds()))
    (args.out / "meta.json").write_text(json.dumps(model.meta, indent=1), encoding="utf-8")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"version": args.version, "data": str(args.data or args.ptc),
                                           "taxonomy": args.taxonomy,
                                           **(shared_layers_meta(args) if args.shared_layers
                                              else {"encoder_layers": args.layers}),
                                           **decoding.report}, indent=1), encoding="utf-8")
    print(f"saved {args.out} in {run.seconds():.0f}s: {json.dumps(model.meta)}")


def _copy_encoder(args: argparse.Namespace, model: TechniqueModel) -> None:
    """The exported encoder travels with the model it was trained on."""
    beside = args.encoder_file.parent
    if (beside / ENCODER_GRAPH).is_file():  # the int8 file itself (what the stage loads, no build) and its
        # weightless graph, from which built_encoder rebuilds the same bytes out of the all-mpnet-base-v2 parts
        names = [ENCODER_GRAPH, ENCODER_WEIGHTS, ENCODER_TOKENIZER]
        model.meta.update(encoder_graph=ENCODER_GRAPH, encoder_weights=ENCODER_WEIGHTS,
                          encoder_sha256=hashlib.sha256(args.encoder_file.read_bytes()).hexdigest(),
                          encoder_file=SHIPPED_ENCODER_FILE)
        if args.encoder_file.resolve() != (args.out / SHIPPED_ENCODER_FILE).resolve():
            shutil.copyfile(args.encoder_file, args.out / SHIPPED_ENCODER_FILE)
    else:
        names = [ENCODER_FILE, ENCODER_TOKENIZER]
        model.meta.update(encoder_file=ENCODER_FILE)
    for name in names:
        source = args.encoder_file if name == ENCODER_FILE else beside / name
        if source.resolve() != (args.out / name).resolve():
            shutil.copyfile(source, args.out / name)
    model.meta.update(encoder_tokenizer=ENCODER_TOKENIZER,
                      encoder_name=f"all-mpnet-base-v2-layers{args.layers}-onnx-int8")


def narrow_grids() -> None:
    """`--narrow`: the grids cut down to a few settings around the earlier models' choices."""
    global CLASSIFIER_C, DECODINGS, SPLIT_DEPTHS, FINAL_THRESHOLDS, SEED_LEADS, MIN_SCORES
    CLASSIFIER_C, DECODINGS, SPLIT_DEPTHS = (0.005,), ((0.3, 1),), (0.1,)
    FINAL_THRESHOLDS, SEED_LEADS = (0.25, 0.3), (0.0, 0.1)
    MIN_SCORES = tuple(round(0.02 * k, 2) for k in range(16))


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    if args.narrow:
        narrow_grids()
    if args.classifier_c:
        global CLASSIFIER_C
        CLASSIFIER_C = tuple(args.classifier_c)
    import torch  # lazy: the `train` extra; the tests import this module without it

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    run = load_training_run(args)
    weights, members = train_taggers(run)
    word_blend = blend_word_rates(run)
    rows = ClassifierRows(run)
    fold_classifiers = fit_fold_classifiers(run, rows)
    decoding = choose_decoding(run, rows, fold_classifiers)
    choose_edge_chooser(run, rows, fold_classifiers, decoding)
    choose_predicted_span_rows(run, rows, fold_classifiers, decoding)
    weights = fit_platt_scaling(run, decoding, weights, members)
    fit_temperature(run, rows, fold_classifiers[decoding.c])
    choose_operating_point_and_score(run, rows, decoding)
    save_model(run, rows, decoding, weights, word_blend)


if __name__ == "__main__":
    main()
