"""The trained attribution model: three small linear classifiers over the spaCy parse.

1. cue: for each verb, noun, preposition or colon, is it the head word of a cue? (PolNeAR's cues are broad:
   speech, belief, intention, support: "said", "endorsement of", "refuses to disavow", ":".)
2. source: among the parse candidates for that cue (its subject, the agent of a passive, the subject of
   the clause it modifies, a possessor, the object of "according to" ...), which one is the source, if any.
3. content: among the candidates (its clausal complement, object, quotation beside it, the clause it is
   inserted in, the rest of the sentence ...), which one is the content.

Each is a scikit-learn `LogisticRegression` over `DictVectorizer` features (words, lemmas, parts of speech,
dependency labels, positions, quotation marks), trained by `python -m sourcetrace.train.attribution` on
PolNeAR train; weights in `sourcetrace/data/models/attribution/model.pkl`. It runs on the parse the
backbone already made, so it costs a few milliseconds per article.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.extract.attribution_brat import trim
from sourcetrace.extract.attribution_rules import (
    Candidate,
    _clause_fragments,
    _widen_hole,
    subtree_range,
)

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / "attribution"
MODEL_FILE = MODEL_DIR / "model.pkl"
CUE_POS = {"VERB", "NOUN", "ADP", "AUX", "ADJ", "PROPN"}
_SUBJECTS = ("nsubj", "nsubjpass", "csubj")


def is_cue_candidate(token: Any) -> bool:
    return token.pos_ in CUE_POS or token.text in (":", "—") or token.lower_ == "according"


def cue_features(token: Any, in_quote: bool) -> dict[str, Any]:
    doc = token.doc
    previous = doc[token.i - 1] if token.i > 0 else None
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    child_deps = sorted({child.dep_ for child in token.children})
    features: dict[str, Any] = {
        "lower": token.lower_,
        "lemma": token.lemma_.lower(),
        "pos": token.pos_,
        "tag": token.tag_,
        "dep": token.dep_,
        "lemma_dep": f"{token.lemma_.lower()}|{token.dep_}",
        "lemma_pos": f"{token.lemma_.lower()}|{token.pos_}",
        "head_lemma": token.head.lemma_.lower(),
        "head_pos": token.head.pos_,
        "prev": previous.lower_ if previous is not None else "<s>",
        "next": following.lower_ if following is not None else "</s>",
        "in_quote": in_quote,
        "sentence_start": token.is_sent_start or (previous is not None and previous.is_space),
        "ent": token.ent_type_,
    }
    for dep in child_deps:
        features[f"child={dep}"] = True
        features[f"lemma_child={token.lemma_.lower()}|{dep}"] = True
    for child in token.children:
        if child.dep_ in ("prep", "dative", "prt", "mark", "aux", "neg"):
            features[f"child_word={child.dep_}|{child.lower_}"] = True
    return features


@dataclass
class Option:
    """One candidate span (source or content) for a cue, with what the ranker sees."""

    fragments: list[tuple[int, int]]
    kind: str
    features: dict[str, Any]


def _option(text: str, ranges: list[tuple[int, int]], kind: str, cue: Any, extra: dict[str, Any]) -> Option | None:
    fragments = []
    for start, end in ranges:
        start, end = trim(text, start, end)
        if end > start:
            fragments.append((start, end))
    if not fragments:
        return None
    start, end = fragments[0][0], fragments[-1][1]
    length = len(text[start:end].split())
    lemma = cue.lemma_.lower()
    side = "left" if end <= cue.idx else "right" if start >= cue.idx + len(cue.text) else "around"
    features = {
        "kind": kind,
        "kind_lemma": f"{kind}|{lemma}",
        "kind_cue_dep": f"{kind}|{cue.dep_}",
        "kind_cue_pos": f"{kind}|{cue.pos_}",
        "side": f"{kind}|{side}",
        "length": f"{kind}|{min(length, 40) // 5}",
        "first": text[start:end].split()[0].lower() if length else "",
        "pieces": len(fragments),
        "quoted": text[start:end].count("\"") + text[start:end].count("“") > 0,
        "gap": min(abs(start - cue.idx), abs(cue.idx - end), 200) / 200,
    }
    features.update(extra)
    return Option(fragments, kind, features)


def source_options(cue: Any, text: str) -> list[Option]:
    options: list[Option] = []
    seen: set[tuple[int, int]] = set()

    def add(token: Any, kind: str) -> None:
        if token is None or token.is_punct or token.is_space:
            return
        span = subtree_range(token)
        if token.dep_ in ("nsubj", "nsubjpass", "poss") or kind == "head":
            pass
        option = _option(text, [span], kind, cue, {"src_pos": f"{kind}|{token.pos_}", "src_ent": token.ent_type_,
                                                   "src_lower": token.lower_ if token.pos_ == "PRON" else "",
                                                   "src_tag": token.tag_})
        if option is not None and (option.fragments[0], option.fragments[-1]) not in seen:
            seen.add((option.fragments[0], option.fragments[-1]))
            options.append(option)

    for child in cue.children:
        if child.dep_ in _SUBJECTS or child.dep_ in ("poss", "expl"):
            add(child, f"child:{child.dep_}")
        if child.dep_ == "agent" or (child.dep_ == "prep" and child.lower_ in ("by", "from", "to")):
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    add(grandchild, f"pobj:{child.lower_}")
                    for appos in grandchild.children:
                        if appos.dep_ == "acl":
                            for agent in appos.children:
                                if agent.dep_ == "agent":
                                    add(next((g for g in agent.children if g.dep_ == "pobj"), None), "relay_agent")
        if child.dep_ in ("dobj", "dative") and child.pos_ in ("PROPN", "NOUN", "PRON"):
            add(child, f"child:{child.dep_}")
    head = cue.head
    if head is not cue:
        for child in head.children:
            if child.dep_ in _SUBJECTS and child is not cue:
                add(child, f"head_subject:{cue.dep_}")
        if cue.dep_ in ("acl", "relcl", "amod", "compound", "appos"):
            add(head, f"head:{cue.dep_}")
        if head.head is not head and cue.dep_ in ("xcomp", "conj", "advcl", "ccomp"):
            for child in head.head.children:
                if child.dep_ in _SUBJECTS:
                    add(child, "grandhead_subject")
    return options


def _only_says_when(doc: Any, ranges: list[tuple[int, int]]) -> bool:
    """'claimed on Monday', 'said in August': a date or time after the cue says when, never what was said."""
    spans = [doc.char_span(start, end, alignment_mode="expand") for start, end in ranges]
    words = [t for span in spans if span is not None for t in span if not (t.is_punct or t.is_space)]
    content_words = [t for t in words if t.pos_ != "ADP"]
    return bool(content_words) and all(t.ent_type_ in ("DATE", "TIME") for t in content_words)


def content_options(cue: Any, text: str, regions: list[tuple[int, int]], rule: Candidate | None) -> list[Option]:
    options: list[Option] = []
    seen: set[tuple[tuple[int, int], ...]] = set()

    def add(ranges: list[tuple[int, int]], kind: str, extra: dict[str, Any] | None = None) -> None:
        if _only_says_when(cue.doc, ranges):
            return
        option = _option(text, ranges, kind, cue, extra or {})
        if option is not None and tuple(option.fragments) not in seen:
            seen.add(tuple(option.fragments))
            options.append(option)

    for child in cue.children:
        if child.dep_ in ("ccomp", "xcomp", "dobj", "advcl", "oprd", "attr", "acomp", "parataxis", "pcomp", "conj"):
            add([subtree_range(child)], f"child:{child.dep_}", {"child_pos": child.pos_})
        if child.dep_ in ("prep", "dative"):
            add([subtree_range(child)], f"prep:{child.lower_}")
            for grandchild in child.children:
                if grandchild.dep_ in ("pobj", "pcomp"):
                    add([subtree_range(grandchild)], f"prep_obj:{child.lower_}")
    # everything the cue governs on its right ("endorsed Sen. Ted Cruz for president", "brand you a liar")
    right = [c for c in cue.children if c.i > cue.i and not c.is_punct and c.dep_ not in ("cc", "conj") + _SUBJECTS]
    if len(right) > 1:
        add([(subtree_range(right[0])[0], subtree_range(right[-1])[1])], "right_children")
    sentence = cue.sent
    sentence_range = trim(text, sentence.start_char, sentence.end_char)
    # several sentences of a paragraph: "Oh, okay. I guess that settles it, said ..." / "X says: S1. S2."
    paragraph_start = text.rfind("\n", 0, cue.idx) + 1
    paragraph_end = text.find("\n", cue.idx)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    cue_clause_range = _widen_hole(text, subtree_range(cue))
    if paragraph_start < sentence.start_char:
        add([(paragraph_start, min(cue_clause_range[0], cue.idx))], "paragraph_before")
    if paragraph_end > sentence.end_char:
        add([(cue.idx + len(cue.text), paragraph_end)], "paragraph_after")
    cue_clause = _widen_hole(text, subtree_range(cue))
    if cue.head is not cue:
        add(_clause_fragments(text, subtree_range(cue.head), cue_clause), f"host_clause:{cue.dep_}")
    add(_clause_fragments(text, sentence_range, cue_clause), "sentence_rest")
    end_of_cue = cue.idx + len(cue.text)
    add([(end_of_cue, sentence_range[1])], "after_cue")
    add([(sentence_range[0], cue.idx)], "before_cue")
    for start, end in regions:
        if end <= sentence.start_char - 400 or start >= sentence.end_char + 400:
            continue
        between = text[end:cue.idx] if end <= cue.idx else text[end_of_cue:start]
        if start <= cue.idx < end or "\n" in between or len(between) > 120:
            continue
        add([(start, end)], "quote", {"quote_side": "left" if end <= cue.idx else "right"})
    # "'First half,' he said. 'Second half.'": both quotations around the cue are one content
    left = [r for r in regions if r[1] <= cue.idx and "\n" not in text[r[1]:cue.idx] and cue.idx - r[1] < 120]
    right = [r for r in regions if r[0] >= end_of_cue and "\n" not in text[end_of_cue:r[0]] and r[0] - end_of_cue < 60]
    if left and right:
        add([left[-1], right[0]], "quote_pair")
    if rule is not None:
        add(list(rule.content), "rule", {"rule_origin": True})
    return options


def cue_range(token: Any) -> tuple[int, int]:
    """The cue's words: the head word with its auxiliaries, negation and adverbs before it and particles after."""
    first = last = token
    if token.lower_ == "according":
        to = next((c for c in token.children if c.lower_ == "to"), None)
        return token.idx, (to.idx + len(to.text)) if to is not None else token.idx + len(token.text)
    for child in token.children:
        if child.i < token.i and child.dep_ in ("aux", "auxpass", "neg") and token.i - child.i <= 3:
            first = min(first, child, key=lambda t: t.i)
        if child.i > token.i and child.dep_ == "prt" and child.i - token.i <= 2:
            last = max(last, child, key=lambda t: t.i)
    if first.i < token.i:
        between = token.doc[first.i : token.i]
        if any(t.pos_ not in ("AUX", "PART", "ADV") for t in between):
            first = token
    return first.idx, last.idx + len(last.text)


def _score_sets(vectorizer: Any, model: Any, option_sets: list[list[Option]]) -> list[np.ndarray]:
    rows = [option.features for options in option_sets for option in options]
    if not rows:
        return [np.zeros(0) for _ in option_sets]
    scores = model.predict_proba(vectorizer.transform(rows))[:, 1]
    result, first = [], 0
    for options in option_sets:
        result.append(scores[first : first + len(options)])
        first += len(options)
    return result


def _trimmed(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [trim(text, start, end) for start, end in regions]


class LearnedExtractor:
    """Applies the three trained classifiers to a parsed document."""

    def __init__(self, path: Path = MODEL_FILE, prefer_rules: bool = True) -> None:
        with open(path, "rb") as handle:
            bundle = pickle.load(handle)  # noqa: S301 - our own committed file
        self.cue_vectorizer, self.cue_model = bundle["cue"]
        self.source_vectorizer, self.source_model = bundle["source"]
        self.content_vectorizer, self.content_model = bundle["content"]
        self.cue_threshold = float(bundle.get("cue_threshold", 0.5))
        self.source_threshold = float(bundle.get("source_threshold", 0.3))
        self.version = str(bundle.get("version", "?"))
        # where a parse rule understood the construction (a quotation beside its cue, "according to"), its
        # content is kept: the rules get those exactly right more often than the linear ranker
        self.prefer_rules = prefer_rules

    def candidates(
        self, doc: Any, regions: list[tuple[int, int]], rule_candidates: list[Candidate]
    ) -> list[Candidate]:
        text = doc.text
        tokens = [t for t in doc if is_cue_candidate(t)]
        if not tokens:
            return []
        quoted = np.zeros(len(text) + 1, dtype=bool)
        for start, end in regions:
            quoted[start:end] = True
        features = [cue_features(t, bool(quoted[t.idx])) for t in tokens]
        probabilities = self.cue_model.predict_proba(self.cue_vectorizer.transform(features))[:, 1]
        rule_by_token = {c.cue_token.i: c for c in rule_candidates if c.cue_token is not None}
        chosen_cues = [(t, p) for t, p in zip(tokens, probabilities) if p >= self.cue_threshold]
        # every cue's options scored in one call per classifier: the per-call overhead dominates otherwise
        content_sets = [content_options(t, text, regions, rule_by_token.get(t.i)) for t, _ in chosen_cues]
        source_sets = [source_options(t, text) for t, _ in chosen_cues]
        content_scores = _score_sets(self.content_vectorizer, self.content_model, content_sets)
        source_scores = _score_sets(self.source_vectorizer, self.source_model, source_sets)
        quotes = _trimmed(text, regions)
        result = []
        for (token, probability), contents, c_scores, sources, s_scores in zip(
            chosen_cues, content_sets, content_scores, source_sets, source_scores
        ):
            if not contents:
                continue
            rule = rule_by_token.get(token.i)
            chosen = contents[int(np.argmax(c_scores))]
            fragments = chosen.fragments
            if self.prefer_rules and rule is not None and (
                token.lower_ == "according"
                or any(s <= q0 and q1 <= e for s, e in rule.content for q0, q1 in quotes)
            ):
                fragments = list(rule.content)
            source = None
            if sources:
                best = int(np.argmax(s_scores))
                if s_scores[best] >= self.source_threshold:
                    source = sources[best].fragments[0][0], sources[best].fragments[-1][1]
            cue = cue_range(token)
            if chosen.kind.startswith(("prep_obj:", "prep:")):
                # "called for X", "pointed to X": the preposition right after the cue word belongs to the cue
                preposition = next((c for c in token.children if c.dep_ in ("prep", "dative")
                                    and c.lower_ == chosen.kind.split(":", 1)[1]), None)
                if preposition is not None and preposition.i == token.i + 1:
                    cue = cue[0], preposition.idx + len(preposition.text)
            channel = None
            if rule is not None and rule.channel is not None:
                cue, source, channel = rule.cue, rule.source, rule.channel
            if source is not None and any(s < source[1] and source[0] < e for s, e in fragments):
                source = None  # a source inside its own content: the parse went wrong
            result.append(Candidate(content=fragments, source=source, cue=cue, cue_token=token,
                                    channel=channel, score=float(probability), origin="model"))
        return result
