"""`sourcetrace evaluate checkworthiness --gold FILE.tsv`: CLEF CheckThat! 2024 Task 1 (check-worthy sentences).

The gold format is the task's TSV: a header `Sentence_id<TAB>Text<TAB>class_label`, labels `Yes`/`No`. The
official metric is the F1 of the positive class (`Yes`); precision and recall of that class are printed beside
it. A baseline (TF-IDF word and character n-grams into a logistic regression) is trained on
the CT24 train file in the same command, when that file is at hand, and scored on the same gold file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sourcetrace.errors import InputError

_LABELS = {"yes": 1, "no": 0}


@dataclass(frozen=True)
class CheckworthySentence:
    sentence_id: str
    text: str
    label: int  # 1 = check-worthy (Yes), 0 = not (No)


def read_checkworthy_tsv(path: Path) -> list[CheckworthySentence]:
    """The rows of a CheckThat! Task 1 TSV; a malformed row is an `InputError` naming file and line."""
    if not path.is_file():
        raise InputError(str(path), "no such file")
    rows: list[CheckworthySentence] = []
    with path.open(encoding="utf-8", newline="") as handle:
        # The texts contain bare double quotes that are not CSV quoting.
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), "empty file", line=1)
        columns = [name.strip() for name in header]
        missing = [name for name in ("Sentence_id", "Text", "class_label") if name not in columns]
        if missing:
            raise InputError(str(path), f"header lacks column(s) {', '.join(missing)}", line=1)
        id_at, text_at, label_at = (columns.index(n) for n in ("Sentence_id", "Text", "class_label"))
        for line_number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(columns):
                raise InputError(str(path), f"expected {len(columns)} tab-separated fields, got {len(row)}",
                                 line=line_number)
            label = row[label_at].strip().lower()
            if label not in _LABELS:
                raise InputError(str(path), f"class_label must be Yes or No, got {row[label_at]!r}", line=line_number)
            rows.append(CheckworthySentence(row[id_at].strip(), row[text_at], _LABELS[label]))
    if not rows:
        raise InputError(str(path), "no sentences")
    return rows


@dataclass(frozen=True)
class BinaryScores:
    precision: float
    recall: float
    f1: float
    support: int

    def line(self, name: str) -> str:
        return f"{name:<34} P={self.precision:.4f}  R={self.recall:.4f}  F1={self.f1:.4f}  (positives={self.support})"


def positive_class_scores(gold: list[int], predicted: list[int]) -> BinaryScores:
    """Precision, recall and F1 of the positive class (the task's official metric is this F1)."""
    true_positive = sum(1 for g, p in zip(gold, predicted) if g == 1 and p == 1)
    predicted_positive = sum(predicted)
    gold_positive = sum(gold)
    precision = true_positive / predicted_positive if predicted_positive else 0.0
    recall = true_positive / gold_positive if gold_positive else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BinaryScores(precision, recall, f1, gold_positive)


def train_baseline(train: list[CheckworthySentence]):  # noqa: ANN201 - a fitted sklearn Pipeline
    """The baseline: TF-IDF word 1-2-grams + character 2-5-grams into a logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    model = make_pipeline(features, LogisticRegression(C=3.0, max_iter=2000))
    model.fit([row.text for row in train], [row.label for row in train])
    return model
