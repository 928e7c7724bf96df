"""The speaker resolver on hand-labelled PolNeAR train sources, and a learned alternative to it.

`resolver_labels.jsonl` (next to this file) gives, for 339 pronoun, description and anonymous `Source` spans of
PolNeAR train articles, the speaker a reader names, scored as `sourcetrace evaluate speakers` scores it: the last word
of `speaker` (a name, or "Clinton campaign", "State Department" for an organisation; the owner's name for a team
with no name of its own, "Kasich's team": "Kasich") must be among the words of the resolver's answer; null where the
source names nobody (an anonymous source, an unnamed relation such as "his spokesman"). `split`: `development` cases
were read while the rules were written; `held_out` (pronouns and descriptions) and `held_out_descriptions`
(descriptions and anonymous sources, the articles of the second batch whose name hashes last) were labelled the same
way and only measured, without looking at the resolver's answers on them. `all_kinds`: 387 gold sources of every
kind (named, pronoun, description, anonymous, other, author) from 60 further articles, labelled blind to the system
and then used for development; score them end to end with `sourcetrace evaluate speakers --gold
resolver_labels.jsonl --texts ../shared/data/polnear/train/text`. Only pronoun, description and anonymous cases enter
the comparisons below.

The script prints (1) the rules' accuracy per split and kind, and (2) a mention-ranking logistic regression over
the same candidates (each earlier person of the article, described by its latest mention: sentence distance,
subject, clause depth, quotation, recency rank among candidates and among subjects, mentions so far, gender
agreement, the pronoun's own-clause structure, role-word match for descriptions), cross-validated in 5 folds by
article, with and without the rules' own choice as a feature. Cases whose speaker is null or an organisation are
left out of (2), which ranks people.

    python -m training.attribution.resolver --data ../shared/data/polnear/train
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().parent / "resolver_labels.jsonl"
PERSON_PRONOUNS = {"he", "she", "his", "her", "him"}


def read_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def names_speaker(label: str | None, name: str | None) -> bool:
    """The scoring of `sourcetrace evaluate speakers`: the label's last word among the words of the answer."""
    from sourcetrace.evaluate.speakers import same_speaker

    return same_speaker(label, name)


def candidate_rows(mentions: Any, doc: Any, item: dict[str, Any], rule: Any, lexicon: Any) -> list[tuple[dict, bool]]:
    """One feature dict per earlier person of the article, with whether it is the labelled speaker."""
    from sourcetrace.stages.attribution.person_gender import pronoun_gender

    start, end = item["start"], item["end"]
    description = item["kind"] == "description"
    gender = None if description else pronoun_gender(item["text"].strip().lower())
    own = mentions.sentence_of(start)
    window = 60 if description else 8
    earlier = [m for m in mentions.mentions if m.start < start and own - window < m.sentence <= own
               and m.entity.kind == "named_person" and not m.entity.plural and not (m.start <= start < m.end)
               and (gender is None or m.entity.gender in (None, gender))]
    latest = {id(m.entity): m for m in earlier}
    subjects = {id(m.entity): m for m in earlier if m.subject and not m.quoted}
    order = sorted(latest, key=lambda key: -latest[key].start)
    subject_order = sorted(subjects, key=lambda key: -subjects[key].start)
    local = None if description else mentions._clause_antecedent(start, [m for m in earlier if m.sentence == own])
    span = doc.char_span(start, end, alignment_mode="expand")
    role_words: set[str] = set()
    if description and span is not None:
        lemma = span.root.lemma_.lower()
        role_words = {lemma} | lexicon.description_roles.get(lemma, set())
    rows = []
    for rank, key in enumerate(order):
        mention = latest[key]
        entity = mention.entity
        distance = own - mention.sentence
        features = {
            "bias": 1.0, f"distance={min(distance, 5)}": 1.0, "subject": float(mention.subject),
            "quoted": float(mention.quoted), "depth": min(mention.depth, 6) / 6, f"rank={min(rank, 3)}": 1.0,
            "mentions": math.log1p(entity.mentions), "gender": float(gender is not None and entity.gender == gender),
            "own_clause": float(local is not None and local.entity is entity),
            "subject_rank=0": float(bool(subject_order) and subject_order[0] == key),
            "subject_rank=1": float(len(subject_order) > 1 and subject_order[1] == key),
            "recent_subject": float(key in subjects and own - subjects[key].sentence <= 2),
        }
        if description:
            features = {f"description:{name}": value for name, value in features.items()}
            features["description:role"] = float(bool(entity.roles & role_words))
            features["description:any_role"] = float(bool(entity.roles))
        features["rules_choice"] = float(rule is not None and rule.entity is entity)
        rows.append((features, names_speaker(item["speaker"], entity.name)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="PolNeAR train folder (text/, attributions/)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--errors", action="store_true", help="print the development cases the rules miss")
    args = parser.parse_args()
    if "dev" in args.data.parts or "test" in args.data.parts:
        raise SystemExit("refusing to develop on an evaluation split")

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from sourcetrace.datasets.polnear import read_gold_dir
    from sourcetrace.pipeline.backbone import load_spacy
    from sourcetrace.stages.attribution.resolver import ArticleMentions
    from sourcetrace.stages.attribution.rules import Lexicon, quote_regions

    labels = read_labels(args.labels)
    wanted = {item["article"] for item in labels}
    articles = {}
    for article in read_gold_dir(args.data):
        if article.name in wanted and article.name not in articles:
            articles[article.name] = article
    nlp, lexicon = load_spacy(), Lexicon()
    names = sorted(articles)
    docs = dict(zip(names, nlp.pipe([articles[name].text for name in names], batch_size=16)))
    resolvers = {}
    for name in names:
        sources = sorted({(min(s for s, _ in g.source), max(e for _, e in g.source))
                          for g in articles[name].attributions if g.source})
        resolvers[name] = ArticleMentions(docs[name], articles[name].text, quote_regions(articles[name].text),
                                          lexicon, speech_subjects=sources)

    right: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    groups = []
    for item in labels:
        if item["kind"] not in ("pronoun", "description", "anonymous"):
            continue
        mentions, doc = resolvers[item["article"]], docs[item["article"]]
        if item["kind"] in ("description", "anonymous"):
            rule = mentions.description(doc, item["start"], item["end"])
        else:
            rule = mentions.pronoun(item["start"], item["end"])[1]
        key = (item["split"], item["kind"])
        total[key] += 1
        answer = rule.entity.name if rule is not None else None
        words = item["text"].lower().split()
        if rule is not None and len(words) >= 2 and words[0] in ("his", "her", "their", "its") \
                and words[-1] in lexicon.organization_heads:
            answer = f"{answer.split()[-1]} {words[-1]}"  # as the stage names "his campaign": "Trump campaign"
        right[key] += names_speaker(item["speaker"], answer)
        if args.errors and item["split"] == "development" and not names_speaker(item["speaker"], answer):
            print(f"  miss {item['article'][:40]} {item['start']} {item['text'].strip()!r}: "
                  f"labelled {item['speaker']}, answered {answer}")
        person_case = item["speaker"] is not None and (
            item["kind"] == "description" or item["text"].strip().lower() in PERSON_PRONOUNS)
        if person_case:
            rows = candidate_rows(mentions, doc, item, rule, lexicon)
            if rows:
                rule_right = rule is not None and names_speaker(item["speaker"], rule.entity.name)
                groups.append((item["article"], rows, rule_right))
    print("rules, share of labelled sources resolved to the labelled speaker:")
    for key in sorted(total):
        print(f"  {key[0]:<12} {key[1]:<12} {right[key]:>4}/{total[key]:<4} {right[key] / total[key]:.3f}")
    everything = sum(total.values())
    print(f"  {'all':<25} {sum(right.values()):>4}/{everything:<4} {sum(right.values()) / everything:.3f}")

    feature_names = sorted({name for _, rows, _ in groups for features, _ in rows for name in features})
    order = sorted({article for article, _, _ in groups})
    fold_of = {article: index % args.folds for index, article in enumerate(order)}

    def matrix(rows: list[tuple[dict, bool]], with_rules: bool) -> Any:
        return np.array([[features.get(name, 0.0) for name in feature_names
                          if with_rules or name != "rules_choice"] for features, _ in rows])

    print(f"\nperson cases ranked: {len(groups)}; the rules right on {sum(g[2] for g in groups)}")
    for with_rules in (False, True):
        for c in (0.1, 0.3, 1.0, 3.0):
            correct = 0
            for fold in range(args.folds):
                train = [g for g in groups if fold_of[g[0]] != fold]
                test = [g for g in groups if fold_of[g[0]] == fold]
                features = np.vstack([matrix(rows, with_rules) for _, rows, _ in train])
                targets = np.array([int(gold) for _, rows, _ in train for _, gold in rows])
                model = LogisticRegression(C=c, max_iter=2000).fit(features, targets)
                for _, rows, _ in test:
                    probabilities = model.predict_proba(matrix(rows, with_rules))[:, 1]
                    correct += rows[int(np.argmax(probabilities))][1]
            label = "with the rules' choice" if with_rules else "features only"
            print(f"  logistic regression ({label}), C={c}: {correct}/{len(groups)} {correct / len(groups):.3f}")


if __name__ == "__main__":
    main()
