"""Linear models applied with numpy alone: a conditional logit (a softmax over each group's options), a binary
logistic regression from its coefficients, and a DictVectorizer + LogisticRegression pair applied by weight
look-up. Training fits them (scikit-learn, scipy); inference reads their stored arrays."""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
from scipy.special import expit


class ConditionalLogit:
    """A linear choice model: a softmax over each cue's options, fitted to put the gold option first
    (McFadden's conditional logit). The stacker picks one option per cue, so it is trained the way it is used;
    a binary logistic regression treats every option alone. `predict_proba` reads like sklearn's: its second
    column is the logistic of the option's score, whose order within a cue's options is the model's choice."""

    def __init__(self, coefficients: np.ndarray, intercept: float = 0.0) -> None:
        self.coef_ = np.asarray(coefficients, dtype=np.float64)[None, :]
        self.intercept_ = np.array([intercept])
        self.n_features_in_ = self.coef_.shape[1]

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, sizes: list[int], l2: float = 1.0) -> ConditionalLogit:
        """`features` and `labels` of consecutive groups of `sizes` options; groups with no gold option are left
        out; `l2` weighs the penalty on the (standardised) coefficients."""
        from scipy.optimize import minimize  # training only: a second of import time analyses do not need

        features = np.asarray(features, dtype=np.float64)
        labels = np.asarray(labels, dtype=bool)
        starts = np.cumsum([0, *sizes])[:-1]
        has_gold = [bool(labels[start : start + size].any()) for start, size in zip(starts, sizes)]
        keep = np.repeat(has_gold, sizes)
        kept_sizes = [size for size, gold in zip(sizes, has_gold) if gold]
        x, y = features[keep], labels[keep]
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        z = (x - mean) / scale
        group = np.repeat(np.arange(len(kept_sizes)), kept_sizes)
        firsts = np.cumsum([0, *kept_sizes])[:-1]

        def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
            scores = z @ weights
            top = np.maximum.reduceat(scores, firsts)
            exp = np.exp(scores - top[group])
            total = np.add.reduceat(exp, firsts)
            gold = np.add.reduceat(np.where(y, exp, 0.0), firsts)
            value = float(np.sum(np.log(total) - np.log(gold))) + 0.5 * l2 * float(weights @ weights)
            share = exp / total[group] - np.where(y, exp, 0.0) / gold[group]
            return value, z.T @ share + l2 * weights

        weights = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
        return cls(weights / scale, float(-(weights / scale) @ mean))

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        scores = np.asarray(features, dtype=np.float64) @ self.coef_[0] + self.intercept_[0]
        positive = 1.0 / (1.0 + np.exp(-scores))
        return np.column_stack([1.0 - positive, positive])


class LogisticLinear:
    """A binary logistic regression from its coefficients, as scikit-learn's `LogisticRegression.predict_proba`
    computes it (the logistic of `features @ coef_.T + intercept_`), without scikit-learn's object."""

    def __init__(self, coefficients: np.ndarray, intercept: float) -> None:
        self.coef_ = np.asarray(coefficients, dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.array([intercept], dtype=np.float64)
        self.n_features_in_ = self.coef_.shape[1]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        positive = expit((np.asarray(features, dtype=np.float64) @ self.coef_.T + self.intercept_).ravel())
        return np.vstack([1 - positive, positive]).T


class LinearScorer:
    """A fitted `DictVectorizer` + binary `LogisticRegression` pair, applied by looking each feature's weight up.

    The same probabilities as `model.predict_proba(vectorizer.transform(rows))[:, 1]` (to float rounding),
    without building a sparse matrix: sklearn's `DictVectorizer.transform` is pure Python and was the
    largest part of the ranker's run time. Training keeps the sklearn pair; the stored model keeps the feature
    names (in the vectorizer's column order), coefficients and intercept (`from_arrays`)."""

    def __init__(self, vectorizer: Any, model: Any) -> None:
        if model.coef_.shape[0] != 1:
            raise ValueError("LinearScorer applies a binary logistic regression only")
        names = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        self.set_weights(names, model.coef_[0], float(model.intercept_[0]), vectorizer.separator)

    @classmethod
    def from_arrays(cls, names: list[str], coefficients: np.ndarray, intercept: float, separator: str) -> LinearScorer:
        scorer = cls.__new__(cls)
        scorer.set_weights(names, coefficients, intercept, separator)
        return scorer

    def set_weights(self, names: list[str], coefficients: np.ndarray, intercept: float, separator: str) -> None:
        self.names = list(names)
        self.weights: dict[str, float] = dict(zip(self.names, np.asarray(coefficients, dtype=np.float64).tolist()))
        self.separator = separator
        self.intercept = float(intercept)

    def probabilities(self, rows: list[dict[str, Any]]) -> np.ndarray:
        weights, separator = self.weights, self.separator
        decisions = np.empty(len(rows), dtype=np.float64)
        for position, row in enumerate(rows):
            total = 0.0
            for name, value in row.items():
                kind = type(value)
                if kind is str:
                    total += weights.get(f"{name}{separator}{value}", 0.0)
                elif kind is bool or kind is float or kind is int:  # the common numbers, without the ABC check
                    weight = weights.get(name)
                    if weight is not None:
                        total += weight * float(value)
                elif isinstance(value, str):
                    total += weights.get(f"{name}{separator}{value}", 0.0)
                elif isinstance(value, Number) or value is None:  # as DictVectorizer: numpy numbers too
                    # DictVectorizer: a number is the feature's value (None becomes NaN, as there)
                    weight = weights.get(name)
                    if weight is not None:
                        total += weight * (float("nan") if value is None else float(value))
                else:  # an iterable of strings: one indicator each
                    total += sum(weights.get(f"{name}{separator}{item}", 0.0) for item in value)
            decisions[position] = total
        return 1.0 / (1.0 + np.exp(-(decisions + self.intercept)))
