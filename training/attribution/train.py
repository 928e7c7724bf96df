"""Train the attribution model (`sourcetrace/stages/attribution/learned.py`) on PolNeAR train.

One command reproduces the committed weights, on CPU, from ../shared/data:

    python -m training.attribution.train --data ../shared/data/polnear/train --out sourcetrace/data/models/attribution

It parses the training articles with the backbone's spaCy model (or reads `--parsed FILE.spacy`, a DocBin
in the sorted order of `text/*.txt`), builds examples for the three classifiers (cue head word, source
choice, content choice), holds out the articles listed in `tuning_ids.txt` (every 10th name) to choose the
cue threshold, fits the final classifiers on all of train, and writes `model.json` + `model.npz` to
`sourcetrace/data/models/attribution/`. Only `train/` is read; `dev/` is for evaluation.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sourcetrace._ml.linear import ConditionalLogit
from sourcetrace._ml.text import trim
from sourcetrace.datasets.polnear import GoldAttribution, read_gold_dir
from sourcetrace.evaluate.attribution import Scores, score_file
from sourcetrace.pipeline.backbone import load_spacy
from sourcetrace.stages.attribution.learned import (
    LearnedExtractor,
    content_options,
    cue_edge_options,
    cue_features,
    cue_range,
    cue_stack_features,
    is_cue_candidate,
    kind_columns,
    save_model,
    source_kind_columns,
    source_options,
    span_tagger_features,
    stacked_rows,
    tagger_content_options,
    tagger_content_runs,
    tagger_source_options,
    tagger_source_runs,
)
from sourcetrace.stages.attribution.rules import Lexicon, RuleExtractor, quote_regions
from sourcetrace.stages.attribution.tagger import load_tagger


def _extent(text: str, fragments: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not fragments:
        return None
    start, end = trim(text, fragments[0][0], fragments[-1][1])
    return (start, end) if end > start else None


def _gold_cues(doc: Any, annotated: list[Any]) -> Iterator[tuple[Any, tuple[int, int], Any]]:
    """(gold attribution, its cue's character extent, the parse span over it) for every gold cue that aligns."""
    for article in annotated:
        for gold in article.attributions:
            cue = _extent(doc.text, gold.cue)
            if cue is None:
                continue
            span = doc.char_span(*cue, alignment_mode="expand")
            if span is not None and len(span) > 0:
                yield gold, cue, span


def gold_cue_roots(doc: Any, annotated: list[Any]) -> dict[int, list[Any]]:
    """Token index of each gold cue's head word (union over annotators) -> the gold attributions there."""
    gold_roots: dict[int, list[Any]] = {}
    for gold, _, span in _gold_cues(doc, annotated):
        root = span[0] if span[0].lower_ == "according" else span.root
        gold_roots.setdefault(root.i, []).append(gold)
    return gold_roots


def cue_edge_rows(doc: Any, annotated: list[Any]) -> list[tuple[dict[str, Any], int]]:
    """For every gold cue: is each neighbouring word the edge classifier is asked about inside the gold cue?
    (Asked in the order it is at run time; on each side up to the first one that is not.)"""
    rows = []
    for gold, cue, span in _gold_cues(doc, annotated):
        if span[0].lower_ == "according":
            continue
        root = span.root
        blocked = [x for x in (_extent(doc.text, gold.content), _extent(doc.text, gold.source)) if x is not None]
        closed: set[str] = set()
        for side, _, (start, end), features in cue_edge_options(root, cue_range(root), blocked):
            if side in closed:
                continue
            inside = cue[0] <= start and end <= cue[1]
            rows.append((features, int(inside)))
            if not inside:
                closed.add(side)
    return rows


def stack_rows(
    bundle: dict[str, Any], doc: Any, annotated: list[Any], tagged: Any, tagger_options: bool = True
) -> dict[str, tuple[list[Any], list[int]]]:
    """The stackers' rows for one article: (ranker logit + tagger features, label) per cue word and option;
    `tagger_options`: the tagger's own content runs are content options too (`tagger_content_options`)."""
    import numpy as np

    text = doc.text
    regions = quote_regions(text)
    quoted = np.zeros(len(text) + 1, dtype=bool)
    for start, end in regions:
        quoted[start:end] = True
    rules = RuleExtractor(Lexicon())
    rule_by_token = {c.cue_token.i: c for c in rules.candidates(doc) if c.cue_token is not None}
    gold_roots = gold_cue_roots(doc, annotated)
    result: dict[str, Any] = {"cue": ([], []), "source": ([], []), "content": ([], []),
                              "sizes": {"source": [], "content": []}}  # options per cue
    tokens = [t for t in doc if is_cue_candidate(t)]
    if tokens:
        vectorizer, model = bundle["cue"]
        base = model.predict_proba(vectorizer.transform([cue_features(t, bool(quoted[t.idx])) for t in tokens]))[:, 1]
        cue_verbs = Lexicon().cue_verbs if CUE_LEXICON else None
        result["cue"][0].extend(stacked_rows(base, cue_stack_features(tagged, tokens, cue_verbs)))
        result["cue"][1].extend(int(t.i in gold_roots) for t in tokens)
    runs = tagger_content_runs(doc, tagged) if tagger_options else []
    source_runs = tagger_source_runs(doc, tagged) if TAGGER_SOURCES else []
    for index, golds in gold_roots.items():
        token = doc[index]
        contents = content_options(token, text, regions, rule_by_token.get(index))
        contents.extend(tagger_content_options(token, text, runs, contents) if tagger_options else [])
        sources = source_options(token, text)
        sources.extend(tagger_source_options(token, text, source_runs, sources) if TAGGER_SOURCES else [])
        for role, options in (("source", sources), ("content", contents)):
            if not options:
                continue
            wanted = {_extent(text, g.role(role)) for g in golds}
            vectorizer, model = bundle[role]
            base = model.predict_proba(vectorizer.transform([o.features for o in options]))[:, 1]
            extra = [span_tagger_features(tagged, doc, o.fragments, role) for o in options]
            if role == "content":
                extra = [row + kind_columns(o.kind) for row, o in zip(extra, options)]
            elif SOURCE_KINDS:
                extra = [row + source_kind_columns(o.kind) for row, o in zip(extra, options)]
            result[role][0].extend(stacked_rows(base, extra))
            result["sizes"][role].append(len(options))
            result[role][1].extend(int((o.fragments[0][0], o.fragments[-1][1]) in wanted) for o in options)
    return result


TAGGER_SOURCES = True  # the tagger's source runs are source options too
# nested cues (inside another attribution's reported words, which PolNeAR never annotates) take their source and
# content from the ranker alone: the tagger's marks there are the enclosing attribution's
NESTED_BY_RANKER = True
# the cue stacker also sees whether the word's lemma is one of the lexicon's cue verbs (2-fold over the tuning
# split: see the model card)
CUE_LEXICON = True
SOURCE_KINDS = True  # the source stacker sees the option's origin and cut
CONTENT_L2 = 1.0  # penalty on the standardised coefficients of the content choice model
CONTENT_CHOICE_MODEL = True  # the content stacker is a ConditionalLogit, not a LogisticRegression


SOURCE_CHOICE_MODEL = True  # the source stacker is a ConditionalLogit with a "no source" option


def _source_choice(features: Any, labels: Any, sizes: list[int]) -> tuple[Any, float]:
    """A conditional logit over each cue's source options plus one "no source" option (gold when no option is),
    returned as a model over the options alone and the probability the "no source" option scores: an option
    is chosen when it scores above that, as with the binary stacker's threshold."""
    import numpy as np

    blocks, targets, first = [], [], 0
    for size in sizes:
        options = features[first : first + size]
        blocks.append(np.column_stack([options, np.zeros(size)]))
        blocks.append(np.eye(1, options.shape[1] + 1, options.shape[1]))
        gold = labels[first : first + size]
        targets.extend([*gold, int(not gold.any())])
        first += size
    model = ConditionalLogit.fit(np.vstack(blocks), np.asarray(targets), [size + 1 for size in sizes], CONTENT_L2)
    coefficients, intercept = model.coef_[0], float(model.intercept_[0])
    threshold = 1.0 / (1.0 + np.exp(-(coefficients[-1] + intercept)))
    return ConditionalLogit(coefficients[:-1], intercept), float(threshold)


def fit_stack(
    rows: dict[str, dict[str, tuple[list[Any], list[int]]]], names: list[str], tagger_options: bool = True
) -> dict[str, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    stack: dict[str, Any] = {"source_threshold": 0.3, "tagger_options": tagger_options,
                             "tagger_sources": TAGGER_SOURCES, "nested_by_ranker": NESTED_BY_RANKER,
                             "cue_lexicon": CUE_LEXICON}
    for role in ("cue", "source", "content"):
        features = [x for name in names for x in rows[name][role][0]]
        labels = [y for name in names for y in rows[name][role][1]]
        sizes = [size for name in names for size in rows[name]["sizes"].get(role, [])]
        if role == "content" and CONTENT_CHOICE_MODEL:
            stack[role] = ConditionalLogit.fit(np.asarray(features), np.asarray(labels), sizes, CONTENT_L2)
        elif role == "source" and SOURCE_CHOICE_MODEL:
            stack[role], stack["source_threshold"] = _source_choice(np.asarray(features), np.asarray(labels), sizes)
        else:
            stack[role] = LogisticRegression(C=1.0, max_iter=2000).fit(features, labels)
    return stack


def choose_stack(
    held_out: dict[str, Any], docs: dict[str, Any], tuning_articles: list[Any], tagger_path: Path,
    tagger_options: bool = True,
) -> tuple[dict[str, Any], str]:
    """Stackers over (ranker logit, tagger features) fitted on the tuning split, their cue threshold and an
    honest estimate from 2-fold cross-validation over that split's articles."""
    import numpy as np

    names = sorted({a.name for a in tuning_articles})
    tagger = load_tagger(tagger_path)
    tagged = dict(zip(names, tagger.token_probabilities([docs[name] for name in names])))
    by_name: dict[str, list[Any]] = {}
    for article in tuning_articles:
        by_name.setdefault(article.name, []).append(article)
    rows = {name: stack_rows(held_out, docs[name], by_name[name], tagged[name], tagger_options)
            for name in names}
    folds = [names[0::2], names[1::2]]
    probabilities, labels = [], []
    for train_names, test_names in (folds, folds[::-1]):
        stack = fit_stack(rows, train_names, tagger_options)
        for name in test_names:
            if rows[name]["cue"][0]:
                probabilities.extend(stack["cue"].predict_proba(np.asarray(rows[name]["cue"][0]))[:, 1])
                labels.extend(rows[name]["cue"][1])
    best = (0.5, 0.0)
    for threshold in [x / 100 for x in range(20, 81, 5)]:
        tp = sum(1 for p, y in zip(probabilities, labels) if p >= threshold and y)
        predicted = sum(1 for p in probabilities if p >= threshold)
        f1 = 2 * tp / (predicted + sum(labels)) if predicted + sum(labels) else 0.0
        if f1 > best[1]:
            best = (threshold, f1)
    scores = Scores()
    for train_names, test_names in (folds, folds[::-1]):
        stack = fit_stack(rows, train_names, tagger_options)
        stack["cue_threshold"] = best[0]
        test = [a for a in tuning_articles if a.name in set(test_names)]
        heldout_scores({**held_out, "stack": stack}, docs, test, tagged, scores)
    final = fit_stack(rows, names, tagger_options)
    final["cue_threshold"] = best[0]
    return final, f"cue threshold {best[0]} (cross-validated head-word F1 {best[1]:.3f}); " + summary(scores)


def build_examples(docs: dict[str, Any], articles: list[Any]) -> dict[str, dict[str, list[Any]]]:
    """Per article name: cue (features, label) rows, source and content (features, label) rows."""
    rules = RuleExtractor(Lexicon())
    by_name: dict[str, list[Any]] = {}
    for article in articles:
        by_name.setdefault(article.name, []).append(article)
    examples: dict[str, dict[str, list[Any]]] = {}
    for name, annotated in by_name.items():
        doc = docs[name]
        text = doc.text
        regions = quote_regions(text)
        quoted = [False] * (len(text) + 1)
        for start, end in regions:
            for i in range(start, end):
                quoted[i] = True
        rule_by_token = {c.cue_token.i: c for c in rules.candidates(doc) if c.cue_token is not None}
        gold_roots = gold_cue_roots(doc, annotated)
        rows: dict[str, list[Any]] = {"cue": [], "source": [], "content": [], "cue_edge": cue_edge_rows(doc, annotated)}
        for token in doc:
            if is_cue_candidate(token):
                rows["cue"].append((cue_features(token, quoted[token.idx]), int(token.i in gold_roots)))
        for index, golds in gold_roots.items():
            token = doc[index]
            gold_sources = {_extent(text, g.source) for g in golds}
            gold_contents = {_extent(text, g.content) for g in golds}
            for option in source_options(token, text):
                extent = (option.fragments[0][0], option.fragments[-1][1])
                rows["source"].append((option.features, int(extent in gold_sources)))
            for option in content_options(token, text, regions, rule_by_token.get(index)):
                extent = (option.fragments[0][0], option.fragments[-1][1])
                rows["content"].append((option.features, int(extent in gold_contents)))
        examples[name] = rows
    return examples


def fit(rows: list[tuple[dict[str, Any], int]], c: float) -> tuple[Any, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([features for features, _ in rows])
    model = LogisticRegression(C=c, max_iter=1000)
    model.fit(matrix, [label for _, label in rows])
    return vectorizer, model


def best_threshold(vectorizer: Any, model: Any, rows: list[tuple[dict[str, Any], int]]) -> tuple[float, float]:
    probabilities = model.predict_proba(vectorizer.transform([f for f, _ in rows]))[:, 1]
    labels = [label for _, label in rows]
    best = (0.5, 0.0)
    for threshold in [x / 100 for x in range(20, 81, 5)]:
        tp = sum(1 for p, y in zip(probabilities, labels) if p >= threshold and y)
        predicted = sum(1 for p in probabilities if p >= threshold)
        gold = sum(labels)
        f1 = 2 * tp / (predicted + gold) if predicted + gold else 0.0
        if f1 > best[1]:
            best = (threshold, f1)
    return best


def heldout_scores(
    bundle: dict[str, Any], docs: dict[str, Any], articles: list[Any], tagged: dict[str, Any] | None = None,
    scores: Any = None,
) -> str:
    """Exact and relation F1 of the model stage alone (rules + classifiers, no follow-on quotes)."""
    extractor = LearnedExtractor.from_bundle(bundle)
    rules = RuleExtractor(Lexicon())
    scores = Scores() if scores is None else scores
    predicted: dict[str, list[Any]] = {}
    for article in articles:
        if article.name not in predicted:
            doc = docs[article.name]
            items = []
            tags = tagged.get(article.name) if tagged is not None else None
            for candidate in extractor.candidates(doc, quote_regions(doc.text), rules.candidates(doc), tags):
                item = GoldAttribution()
                item.content.extend(candidate.content)
                if candidate.cue:
                    item.cue.append(candidate.cue)
                if candidate.source:
                    item.source.append(candidate.source)
                items.append(item)
            predicted[article.name] = items
        score_file(scores, article.text, article.attributions, predicted[article.name])
    return summary(scores)


def summary(scores: Any) -> str:
    data = scores.to_dict()
    exact = " / ".join(f"{data['exact'][role]['f1']:.3f}" for role in ("source", "cue", "content"))
    token = " / ".join(f"{data['token'][role]['f1']:.3f}" for role in ("source", "cue", "content"))
    return f"exact F1 source/cue/content {exact}; token F1 {token}; relation {data['relation']['f1']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the PolNeAR train folder")
    parser.add_argument("--parsed", type=Path, default=None, help="DocBin of parsed train texts (optional cache)")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--c", type=float, default=0.5, help="inverse regularisation of the classifiers")
    parser.add_argument("--tagger", type=Path, default=None,
                        help="tagger.onnx (trained without tuning_ids.txt): fit the stackers on the tuning split")
    parser.add_argument("--no-tagger-options", action="store_true",
                        help="the tagger's content runs are not content options")
    parser.add_argument("--heldout-scores", action="store_true",
                        help="also fit on train minus tuning_ids.txt and print exact F1 on those articles")
    args = parser.parse_args()
    if "dev" in args.data.parts or "test" in args.data.parts:
        raise SystemExit("refusing to train on an evaluation split")
    started = time.time()

    nlp = load_spacy()
    articles = read_gold_dir(args.data)
    names = sorted({article.name for article in articles})
    texts = {article.name: article.text for article in articles}
    if args.parsed is not None:
        from spacy.tokens import DocBin

        by_text = {doc.text: doc for doc in DocBin().from_disk(args.parsed).get_docs(nlp.vocab)}
        names = [name for name in names if texts[name] in by_text]  # a partial DocBin trains on what it has
        articles = [article for article in articles if article.name in set(names)]
        docs = {name: by_text[texts[name]] for name in names}
    else:
        docs = dict(zip(names, nlp.pipe([texts[name] for name in names], batch_size=16)))
    for name in names:
        if docs[name].text != texts[name]:
            raise SystemExit(f"parsed text of {name} differs from text/{name}.txt")
    print(f"parsed {len(names)} articles: {time.time() - started:.0f}s", flush=True)
    examples = build_examples(docs, articles)
    tuning = set(names[::10])
    print(f"examples built: {time.time() - started:.0f}s", flush=True)

    def rows(kind: str, keep: Any) -> list[Any]:
        return [row for name, parts in examples.items() if keep(name) for row in parts[kind]]

    vectorizer, model = fit(rows("cue", lambda n: n not in tuning), args.c)
    cue_threshold, cue_f1 = best_threshold(vectorizer, model, rows("cue", lambda n: n in tuning))
    print(f"cue threshold {cue_threshold} (held-out head-word F1 {cue_f1:.3f}): {time.time() - started:.0f}s")
    stack = None
    if args.heldout_scores or args.tagger:
        held_out = {
            "cue": (vectorizer, model),
            "source": fit(rows("source", lambda n: n not in tuning), args.c),
            "content": fit(rows("content", lambda n: n not in tuning), args.c),
            "cue_edges": fit(rows("cue_edge", lambda n: n not in tuning), args.c),
            "cue_threshold": cue_threshold,
            "source_threshold": 0.3,
        }
        tuning_articles = [article for article in articles if article.name in tuning]
        print("held-out (tuning split) " + heldout_scores(held_out, docs, tuning_articles), flush=True)
        if args.tagger:
            stack, report = choose_stack(held_out, docs, tuning_articles, args.tagger,
                                         not args.no_tagger_options)
            print(f"with the tagger, 2-fold over the tuning split: {report}: {time.time() - started:.0f}s", flush=True)
    bundle = {
        "cue": fit(rows("cue", lambda n: True), args.c),
        "source": fit(rows("source", lambda n: True), args.c),
        "content": fit(rows("content", lambda n: True), args.c),
        "cue_edges": fit(rows("cue_edge", lambda n: True), args.c),
        "cue_threshold": cue_threshold,
        "source_threshold": 0.3,
        "version": f"polnear-linear-c{args.c}" + ("+minilm-tagger" if stack is not None else ""),
        "stack": stack,
        "trained_on": f"{len(names)} PolNeAR train articles, {len(articles)} annotation files",
    }
    model_path, arrays_path = save_model(bundle, args.out)
    (args.out / "tuning_ids.txt").write_text("\n".join(sorted(tuning)) + "\n", encoding="utf-8")
    size = arrays_path.stat().st_size / 1e6
    print(f"wrote {model_path} and {arrays_path} ({size:.1f} MB) in {time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
