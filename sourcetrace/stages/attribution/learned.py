"""The trained attribution model: three small linear classifiers over the spaCy parse.

1. cue: for each verb, noun, preposition or colon, is it the head word of a cue? (PolNeAR's cues are broad:
   speech, belief, intention, support: "said", "endorsement of", "refuses to disavow", ":".)
2. source: among the parse candidates for that cue (its subject, the agent of a passive, the subject of
   the clause it modifies, a possessor, the object of "according to" ...), which one is the source, if any.
3. content: among the candidates (its clausal complement, object, quotation beside it, the clause it is
   inserted in, the rest of the sentence ...), which one is the content.

Each is a scikit-learn `LogisticRegression` over `DictVectorizer` features (words, lemmas, parts of speech,
dependency labels, positions, quotation marks), trained by `python -m training.attribution.train` on
PolNeAR train; stored without pickle in `sourcetrace/data/models/attribution/` as `model.json` (thresholds,
version, which classifiers) and `model.npz` (each classifier's feature names, coefficients and intercept),
so neither scikit-learn's version nor unpickling decides whether it loads (`save_model`, `load_model`). At run
time `LinearScorer` applies each pair by looking the weights up (sklearn's vectorizer was most of the ranker's
time). It runs on the parse the backbone already made.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.linear import ConditionalLogit, LinearScorer, LogisticLinear
from sourcetrace._ml.text import trim
from sourcetrace._ml.weights import MODELS_DIR
from sourcetrace.errors import ConfigurationError
from sourcetrace.stages.attribution.rules import (
    Candidate,
    Lexicon,
    _clause_fragments,
    _widen_hole,
    doc_facts,
    has_finite_verb,
    select_tokens,
    subtree_range,
)

MODEL_DIR = MODELS_DIR / "attribution"
MODEL_FILE = MODEL_DIR / "model.json"  # with its arrays in model.npz beside it
ARRAYS_FILE = "model.npz"
MODEL_FORMAT = "sourcetrace-attribution-linear/1"
CUE_POS = {"VERB", "NOUN", "ADP", "AUX", "ADJ", "PROPN"}
_SUBJECTS = ("nsubj", "nsubjpass", "csubj")


_CUE_ORTH = frozenset({":", "—"})


def is_cue_candidate(token: Any) -> bool:
    return token.pos_ in CUE_POS or token.text in _CUE_ORTH or token.lower_ == "according"


def cue_candidates(doc: Any) -> list[Any]:
    """The doc's tokens for which `is_cue_candidate` holds, read from its attribute arrays."""
    return select_tokens(doc, pos=frozenset(CUE_POS), orth=_CUE_ORTH, lower=frozenset({"according"}))


def cue_features(token: Any, in_quote: bool) -> dict[str, Any]:
    doc = token.doc
    previous = doc[token.i - 1] if token.i > 0 else None
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    children = list(token.children)  # read once: each pass builds the Token objects anew
    child_deps = sorted({child.dep_ for child in children})
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
    for child in children:
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
        "quoted": any(mark in text[start:end] for mark in ("\"", "“", "''")),
        "gap": min(abs(start - cue.idx), abs(cue.idx - end), 200) / 200,
    }
    features.update(extra)
    return Option(fragments, kind, features)


_SOURCE_CUTS = ("relcl", "acl", "appos", "prep", "advmod", "npadvmod", "punct", "amod", "nummod")


def source_options(cue: Any, text: str) -> list[Option]:
    options: list[Option] = []
    seen: set[tuple[int, int]] = set()

    def add(token: Any, kind: str) -> None:
        if token is None or token.is_punct or token.is_space:
            return
        span = subtree_range(token)
        extra = {"src_pos": f"{kind}|{token.pos_}", "src_ent": token.ent_type_,
                 "src_lower": token.lower_ if token.pos_ == "PRON" else "", "src_tag": token.tag_}
        ranges = [(span, kind, extra)]
        # PolNeAR keeps some modifiers of a source and not others ("Miller, a retired worker" but not ", who
        # lives in ..."): each cut before a right-hand modifier is an option too
        for child in token.children:
            if child.i > token.i and child.dep_ in _SOURCE_CUTS and child.left_edge.i > token.i:
                cut = (span[0], child.left_edge.idx)
                ranges.append((cut, f"{kind}~{child.dep_}", {**extra, "cut": child.dep_}))
        for mark in _breaks_inside(token, 2):
            following = mark.nbor(1).lower_ if mark.i + 1 < len(mark.doc) else ""
            ranges.append(((span[0], mark.idx), f"{kind}~break", {**extra, "cut": f"break:{following}"}))
        for child in token.children:
            first_word = child.left_edge.i == token.left_edge.i
            if child.i < token.i and child.dep_ in ("advmod", "preconj", "cc") and first_word:
                after_modifier = child.right_edge.idx + len(child.right_edge.text)
                ranges.append(((after_modifier, span[1]), f"{kind}~left", {**extra, "cut": f"left:{child.lower_}"}))
        for (start, end), option_kind, features in ranges:
            option = _option(text, [(start, end)], option_kind, cue, features)
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


def _breaks_inside(head: Any, limit: int) -> list[Any]:
    """The first `limit` commas, dashes, semicolons or brackets after `head` and before its subtree's last word."""
    doc = head.doc
    indices = doc_facts(doc).breaks
    first = bisect_left(indices, head.i + 1)
    return [doc[i] for i in indices[first : bisect_left(indices, head.right_edge.i, first)][:limit]]


def _only_says_when(doc: Any, ranges: list[tuple[int, int]]) -> bool:
    """'claimed on Monday', 'said in August': a date or time after the cue says when, never what was said."""
    # no DATE/TIME entity touches the ranges: some word is not a date, or there are no words
    date_ranges = doc_facts(doc).date_ranges
    if not any(s < end and start < e for start, end in ranges for s, e in date_ranges):
        return False
    # stops at the first word that is no date: most options are long clauses, and their first word tells
    any_word = False
    for start, end in ranges:
        span = doc.char_span(start, end, alignment_mode="expand")
        for token in span if span is not None else ():
            if token.is_punct or token.is_space or token.pos_ == "ADP":
                continue
            if token.ent_type_ not in ("DATE", "TIME"):
                return False
            any_word = True
    return any_word


_CHAIN_DEPS = ("xcomp", "acomp", "dobj", "attr", "acl", "oprd")


def _chain_targets(cue: Any, depth: int = 3) -> list[tuple[Any, str]]:
    """Objects further down a verb chain: "continue to express X", "was more eager to talk about X",
    "has a rare chance to show that X", "to provide an opinion on X". PolNeAR's cue is then the whole chain
    up to X (see `LearnedExtractor`)."""
    result: list[tuple[Any, str]] = []
    frontier = [(child, child.dep_) for child in cue.children if child.i > cue.i and child.dep_ in _CHAIN_DEPS]
    for _ in range(depth):
        following = []
        for node, path in frontier:
            for child in node.children:
                if child.i < node.i:
                    continue
                if child.dep_ in ("ccomp", "dobj") and node.dep_ != "dobj":
                    result.append((child, f"{path}>{child.dep_}"))
                if child.dep_ == "prep" and child.i == node.i + 1:
                    result.extend((g, f"{path}>prep") for g in child.children if g.dep_ in ("pobj", "pcomp"))
                if child.dep_ in _CHAIN_DEPS:
                    following.append((child, f"{path}>{child.dep_}"))
        frontier = following
    return result


def _shorter(head: Any) -> list[tuple[tuple[int, int], str]]:
    """A subtree without what hangs off its right end after a comma or dash, or without its last phrase.

    PolNeAR's content stops before ", where authorities reported ...", ", including 18% who ...", and before
    a trailing "in one breath"; the parse attaches those inside the object.
    """
    start, end = subtree_range(head)
    result = []
    right = [c for c in head.children if c.i > head.i]
    # the first few commas or dashes right of the head, wherever the parse hung them
    for token in _breaks_inside(head, 3):
        result.append(((start, token.idx), f"cut:{token.nbor(1).lower_ if token.i + 1 < len(token.doc) else ''}"))
    if right and right[-1].dep_ in ("prep", "advcl", "npadvmod", "relcl", "acl", "advmod") and right[-1].i > head.i:
        last = subtree_range(right[-1])
        if last[0] > start:
            result.append(((start, last[0]), "drop_last"))
    return result


_WORD_OR_MARK = re.compile(r"''|``|[\w'’]+|[^\w\s]")
# a sentence break inside a span: end mark, closing quotes, space, opening quotes, a capital
_SENTENCE_BREAK = re.compile(r"[.?!][\"”'’]*\s+[\"“'‘]*[A-Z]")


def content_edge_features(text: str, fragments: list[tuple[int, int]], kind: str) -> dict[str, Any]:
    """What lies at a content option's edges: the words just after it (", which", ". He"), the word before it,
    its last word, how many sentences it holds, whether its paragraph ends there. Most content errors are a
    clause or a sentence too many or too few, which the option's kind alone does not tell apart."""
    start, end = fragments[0][0], fragments[-1][1]
    after = _WORD_OR_MARK.findall(text[end : end + 40])[:2]
    before = _WORD_OR_MARK.findall(text[max(0, start - 40) : start])[-1:]
    inside = _WORD_OR_MARK.findall(text[start:end])
    kind = kind.split(":")[0]
    first_after = after[0].lower() if after else "</d>"
    sentences = len(_SENTENCE_BREAK.findall(text[start:end]))
    return {
        "after1": first_after,
        "after2": " ".join(word.lower() for word in after) if after else "</d>",
        "kind_after1": f"{kind}|{first_after}",
        "before1": before[-1].lower() if before else "<d>",
        "last": inside[-1].lower() if inside else "",
        "last_punct": bool(inside) and not inside[-1][0].isalnum(),
        "sentences": f"{kind}|{min(sentences, 3)}",
        "paragraph_end": text[end : end + 40].lstrip(" \t\"”'’.,;:!?)").startswith("\n") or end >= len(text.rstrip()),
        "newline_inside": "\n" in text[start:end],
    }


def content_options(cue: Any, text: str, regions: list[tuple[int, int]], rule: Candidate | None) -> list[Option]:
    options: list[Option] = []
    seen: set[tuple[tuple[int, int], ...]] = set()

    def add(ranges: list[tuple[int, int]], kind: str, extra: dict[str, Any] | None = None) -> None:
        if _only_says_when(cue.doc, ranges):
            return
        option = _option(text, ranges, kind, cue, extra or {})
        if option is not None and tuple(option.fragments) not in seen:
            seen.add(tuple(option.fragments))
            option.features.update(content_edge_features(text, option.fragments, kind))
            options.append(option)

    for child in cue.children:
        if child.dep_ in ("ccomp", "xcomp", "dobj", "advcl", "oprd", "attr", "acomp", "parataxis", "pcomp", "conj"):
            add([subtree_range(child)], f"child:{child.dep_}", {"child_pos": child.pos_})
            for cut, how in _shorter(child):
                add([cut], f"child_{how.split(':')[0]}:{child.dep_}", {"child_pos": child.pos_, "cut_before": how})
        if child.dep_ in ("prep", "dative"):
            add([subtree_range(child)], f"prep:{child.lower_}")
            for grandchild in child.children:
                if grandchild.dep_ in ("pobj", "pcomp"):
                    add([subtree_range(grandchild)], f"prep_obj:{child.lower_}")
                    for cut, how in _shorter(grandchild):
                        add([cut], f"prep_obj_{how.split(':')[0]}:{child.lower_}", {"cut_before": how})
    for target, path in _chain_targets(cue):
        add([subtree_range(target)], f"deep:{path}", {"deep_lemma": f"{cue.lemma_.lower()}|{path}"})
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
    # beliefs and hedges ("Other groups are also expected to spend", "X seems to"): the content is the whole
    # clause, the cue inside it
    add([subtree_range(cue)], "cue_subtree")
    # "Sanders was still largely unknown", "it was never mentioned": what is talked about is the subject
    for child in cue.children:
        if child.dep_ in _SUBJECTS and child.i < cue.i:
            add([subtree_range(child)], f"subject:{child.dep_}")
    add([sentence_range], "sentence_whole")
    for start, end in regions:
        if end <= sentence.start_char - 400 or start >= sentence.end_char + 400:
            continue
        between = text[end:cue.idx] if end <= cue.idx else text[end_of_cue:start]
        if start <= cue.idx < end or "\n" in between or len(between) > 120:
            continue
        add([(start, end)], "quote", {"quote_side": "left" if end <= cue.idx else "right"})
    # "'First half,' he said. 'Second half.'": both quotations around the cue are one content
    left = [r for r in regions if r[1] <= cue.idx and "\n" not in text[r[1]:cue.idx] and cue.idx - r[1] < 120]
    # the second quotation may follow the whole "said Jaime Harrison, chair of the party." sentence
    right = [r for r in regions if r[0] >= end_of_cue and "\n" not in text[end_of_cue:r[0]]
             and (r[0] - end_of_cue < 60 or 0 <= r[0] - sentence.end_char <= 3)]
    if left and right:
        add([left[-1], right[0]], "quote_pair")
    # '"X," he said. "Y."' where "Y" is missed above: it follows a long "said ..., who ..." clause, or it runs
    # unclosed to the paragraph's end, or it opens the next paragraph ('X," Clinton said.\n\n"Y."'); PolNeAR's
    # content then runs from X (or the sentence's start: 'But A is ''B,'' he said. ''C.''') to the end of Y
    if left:
        follow = _following_quotation(text, end_of_cue, paragraph_end, regions)
        if follow is not None:
            starts = [left[-1]]
            if sentence_range[0] < left[-1][0]:
                starts.append((sentence_range[0], left[-1][1]))
            for first in starts:
                add([first, follow[0]], f"quote_pair:{follow[1]}")
    # 'In a 1963 speech, he declared:\n\n"..."', 'Transcript as follows:\n\n"P1\n\n"P2"': the whole quotation
    # that opens the next paragraph, over as many paragraphs as it runs
    block = _colon_quotation(text, end_of_cue, paragraph_end)
    if block is not None:
        add([block], "quote:colon_block")
    if rule is not None:
        add(list(rule.content), "rule", {"rule_origin": True})
    return options


_QUOTE_AT_END = re.compile(r"(''|[\"”»])\W*$")
# how many paragraphs a colon-introduced quotation may run (the longest tuning-split one has 6)
_MAX_QUOTED_PARAGRAPHS = 12


def _colon_quotation(text: str, after: int, paragraph_end: int) -> tuple[int, int] | None:
    """The quotation opening the paragraph after one that ends with a colon ('X declared:'), through the paragraph
    that closes it; each paragraph of a multi-paragraph quotation opens with a quotation mark and only the last one
    closes. Read from the text only (cheap)."""
    if not text[after:paragraph_end].rstrip().endswith(":"):
        return None
    start = None
    position = paragraph_end
    for _ in range(_MAX_QUOTED_PARAGRAPHS):
        rest = text[position:]
        opening = position + len(rest) - len(rest.lstrip())
        match = _OPENING_QUOTE.match(text, opening)
        if match is None:
            return None
        start = opening if start is None else start
        end = text.find("\n", opening)
        end = len(text) if end < 0 else end
        body = text[match.end():end].rstrip()
        if body and _QUOTE_AT_END.search(body):
            return start, match.end() + len(body)
        if end >= len(text):
            return None
        position = end
    return None


_OPENING_QUOTE = re.compile(r"''|[\"“«„]")
_WORD_AFTER = re.compile(r"\w")
_CLOSING_QUOTE = re.compile(r"''|[\"”»]")
# an opening quotation mark that starts a sentence: after an end mark (and closing quotes) and a space
_AFTER_SENTENCE_END = re.compile(r"[.?!][\"”'’]*\s+$")


def _following_quotation(
    text: str, after: int, paragraph_end: int, regions: list[tuple[int, int]]
) -> tuple[tuple[int, int], str] | None:
    """The quotation that opens the first sentence after `after` in the same paragraph (closed, or unclosed and
    running to the paragraph's end), else the one opening the next paragraph when nothing but the end of the
    cue's sentence lies between; with how it was found. Read from the text only (cheap)."""
    closed = {start: end for start, end in regions}
    for match in _OPENING_QUOTE.finditer(text, after, paragraph_end):
        start = match.start()
        if not _AFTER_SENTENCE_END.search(text, after, start):
            continue
        if start in closed:
            return (start, closed[start]), "follow"
        if _CLOSING_QUOTE.search(text, match.end(), paragraph_end) is None:
            return (start, paragraph_end), "follow_open"
        return None
    if text[after:paragraph_end].strip(" \t.,;?!\"”'’") or paragraph_end >= len(text):
        return None
    # the next paragraph, when it opens with a quotation mark
    next_start = paragraph_end + len(text[paragraph_end:]) - len(text[paragraph_end:].lstrip())
    match = _OPENING_QUOTE.match(text, next_start)
    if match is None:
        return None
    next_end = text.find("\n", next_start)
    next_end = len(text) if next_end < 0 else next_end
    if next_start in closed and closed[next_start] <= next_end:
        if _WORD_AFTER.search(text, closed[next_start], next_end):
            return None  # '"Why now?" she asked.': the quotation has its own speaker
        return (next_start, closed[next_start]), "next_paragraph"
    if _CLOSING_QUOTE.search(text, match.end(), next_end) is None:
        return (next_start, next_end), "next_paragraph_open"
    return None


# a preposition between a cue and its content belongs to the cue in PolNeAR ("took aim at X", "weighed in on X")
_CUE_PREPOSITIONS = {"about", "at", "on", "to", "with", "into", "over", "for", "of", "against", "upon", "toward",
                     "towards"}


def _through_preposition(
    doc: Any, text: str, cue: tuple[int, int], content: list[tuple[int, int]]
) -> tuple[int, int]:
    """The cue up to its content when a lone preposition is all that lies between them ("took aim [at] X"; the
    parse often hangs it elsewhere: "weighed in on", "talked more about")."""
    if not content or content[0][0] < cue[1]:
        return cue
    span = doc.char_span(cue[1], content[0][0], alignment_mode="contract")
    words = [t for t in span if not t.is_space] if span is not None else []
    if span is None or text[cue[1]:content[0][0]].strip() != (words[0].text if len(words) == 1 else None):
        return cue
    if words[0].pos_ == "ADP" and words[0].lower_ in _CUE_PREPOSITIONS:
        return cue[0], words[0].idx + len(words[0].text)
    return cue


_OBJECT_DEPS = frozenset({"dobj", "ccomp", "acomp", "oprd", "xcomp", "attr", "advmod"})
_BEFORE_OBJECT = frozenset({"det", "amod", "poss", "advmod", "nsubj", "compound"})


def _object_into_cue(candidate: Candidate, text: str, cue_objects: dict[str, set[str]]) -> None:
    """A cue verb's object word that PolNeAR marks as part of the cue (`cue_objects`: "expressed [concern] about
    X", "made [it clear] that X", "made [the case] that X"): the cue runs over it and the content starts after
    it. Left alone when the content wraps around the cue or the source reaches past it."""
    token, cue = candidate.cue_token, candidate.cue
    words = cue_objects.get(token.lemma_.lower())
    if not words or cue is None:
        return
    found = next((c for c in token.children if c.i > token.i and c.lower_ in words and c.dep_ in _OBJECT_DEPS
                  and c.i - token.i <= 4), None)
    if found is None or found.idx < cue[1]:
        return
    if any(t.dep_ not in _BEFORE_OBJECT and t.i != found.i for t in token.doc[token.i + 1: found.i]):
        return
    _extend_cue(candidate, text, found.idx + len(found.text))


def _extend_cue(candidate: Candidate, text: str, end: int) -> None:
    """The cue runs on to `end` and the content starts after it; left alone when the content wraps around the cue,
    the source lies past it, or nothing of the content would be left."""
    cue = candidate.cue
    if cue is None:
        return
    content = candidate.content
    if content and content[0][0] < cue[1]:
        return
    if candidate.source is not None and candidate.source[1] > cue[1]:
        return
    if content and content[0][0] < end:
        clipped = [trim(text, max(start, end), stop) for start, stop in content if stop > end]
        clipped = [piece for piece in clipped if piece[1] > piece[0]]
        if not clipped:
            return
        candidate.content = clipped
    candidate.cue = cue[0], end


# verbs whose "to" clause PolNeAR marks inside the cue ("tried to make", "continued to insist", "went on to say":
# 81 of 82 such cues in PolNeAR train), against "refused to", "sought to", "plans to" (mostly the verb alone)
_CHAIN_CUE_VERBS = frozenset({"try", "continue"})


def _chain_into_cue(candidate: Candidate, text: str) -> None:
    """"has tried [to discredit] X", "went on [to say] X": the cue runs over the "to" clause's verb and the content
    starts after it. Left alone when the content wraps around the cue or the source lies past it."""
    token, cue = candidate.cue_token, candidate.cue
    if cue is None:
        return
    lemma = token.lemma_.lower()
    went_on = lemma == "go" and any(c.dep_ == "prt" and c.lower_ == "on" for c in token.children)
    if lemma not in _CHAIN_CUE_VERBS and not went_on:
        return
    verb = next((c for c in token.children if c.dep_ in ("xcomp", "advcl") and c.i > token.i and c.pos_ == "VERB"
                 and any(m.lower_ == "to" and m.i == c.i - 1 for m in c.children)), None)
    if verb is None or verb.idx < cue[1]:
        return
    last = max([verb, *(c for c in verb.children if c.dep_ == "prt" and c.i - verb.i <= 2)], key=lambda t: t.i)
    end = last.idx + len(last.text)
    if any(t.dep_ not in ("prt", "advmod", "neg", "aux") for t in token.doc[token.i + 1: verb.i]
           if t.i != verb.i - 1):
        return
    _extend_cue(candidate, text, end)


_FLOATING_QUANTIFIERS = frozenset({"both", "all"})


def _floating_quantifier_into_cue(candidate: Candidate, text: str) -> None:
    """"Smith and Jones [both] condemned the plan", "which [all] lean": PolNeAR's cue starts at the quantifier
    that floats between subject and verb; the parse hangs it on the subject, so it leaves the source."""
    token, cue = candidate.cue_token, candidate.cue
    if cue is None:
        return
    doc = token.doc
    first = next((t for t in doc[max(0, token.i - 4): token.i + 1] if t.idx >= cue[0]), token)
    if first.i == 0:
        return
    before = doc[first.i - 1]
    if before.lower_ not in _FLOATING_QUANTIFIERS or before.dep_ not in ("appos", "dep", "advmod", "det", "predet"):
        return
    subject = next((c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or (before.head.i != subject.i and before.head.i != token.i) or subject.i >= before.i:
        return
    if any(start < before.idx + len(before.text) and before.idx < stop for start, stop in candidate.content):
        return
    source = candidate.source
    if source is not None:
        if source[0] >= before.idx:
            return
        if source[1] > before.idx:
            source = trim(text, source[0], before.idx)
            if source[1] <= source[0]:
                return
            candidate.source = source
    candidate.cue = before.idx, cue[1]


def _rule_quotes_its_content(
    text: str, content: list[tuple[int, int]], quotes: list[tuple[int, int]], ranker_alone: bool
) -> bool:
    """Does a parse rule's content hold a quotation, so that it is kept over the ranker's choice? With the tagger,
    only when the content opens with the quotation (or "that" and the quotation): where the rule ran a reported
    clause on into the quotation after it ("said that X. \"Y\""), the stacked ranker's choice is better (tuning
    split, 2-fold: content .570 -> .578, relation .465 -> .472)."""
    inside = [(q0, q1) for q0, q1 in quotes for s, e in content if s <= q0 and q1 <= e]
    if not inside:
        return False
    if ranker_alone:
        return True
    first = min(q0 for q0, _ in inside)
    opening = [q0 for q0, q1 in quotes if q0 <= content[0][0] < q1]
    lead = text[content[0][0]:first].strip(" \t\"“”'‘’`").lower()
    return bool(opening) or lead in ("", "that")


def _from_chain_top(
    token: Any, text: str, cue: tuple[int, int], blocked: list[tuple[int, int]]
) -> tuple[int, int]:
    """A cue that starts at "to" under the verb its chain hangs from: PolNeAR's cue starts at that verb ("went
    on to promote", "continue to warn", "has a rare chance to show", "was allowed to speak out about"). Not
    after an object ("led Priebus to declare"), nor for purpose clauses ("visited NBC to discuss")."""
    if not re.match(r"(?i)(not )?to\s", text[cue[0]:cue[1]]):
        return cue
    head = token.head
    between = [c.dep_ for c in head.children if head.i < c.i < token.i]
    if token.dep_ in ("acl", "relcl") and head.dep_ in ("dobj", "attr") and head.head.pos_ in ("VERB", "AUX"):
        top = head.head  # "has a rare chance to show", "had nothing bad to say about"
    elif token.dep_ == "xcomp" and head.pos_ in ("VERB", "AUX") and not {"dobj", "dative", "nsubj"} & set(between):
        top = head  # "continue to warn", "was allowed to speak out about"; not "led Priebus to declare"
    elif token.dep_ == "advcl" and head.pos_ == "VERB" and between == ["prt"]:
        top = head  # "went on to promote"; not "visited NBC to discuss"
    else:
        return cue
    start = cue_range(top)[0]
    if start >= cue[0] or any(s < cue[0] and start < e for s, e in blocked):
        return cue
    return start, cue[1]


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


_EDGE_LEFT_DEPS = ("advmod", "npadvmod", "det", "amod", "compound", "nmod")
_EDGE_RIGHT_DEPS = ("prep", "npadvmod", "advmod", "dobj", "dative", "acomp", "prt")


def cue_edge_options(
    token: Any, cue: tuple[int, int], blocked: list[tuple[int, int]]
) -> list[tuple[str, Any, tuple[int, int], dict[str, Any]]]:
    """Words that may widen a cue, nearest first on each side: adverbs before it ("also said", "repeatedly
    warned") and phrases after it ("said in a statement", "said Tuesday", "pushed back"). PolNeAR includes
    some and not others ("said in Iowa"); `LearnedExtractor` asks a classifier about each, in order, and
    stops on a side at the first one it leaves out. A phrase that overlaps the content or source is never one."""
    doc = token.doc
    span = doc.char_span(*cue, alignment_mode="expand")
    if span is None or len(span) == 0:
        return []
    lemma = token.lemma_.lower()
    options = []
    for side, deps, children in (
        ("left", _EDGE_LEFT_DEPS, sorted((c for c in token.children if c.i < span.start), key=lambda c: -c.i)),
        ("right", _EDGE_RIGHT_DEPS, sorted((c for c in token.children if c.i >= span.end), key=lambda c: c.i)),
    ):
        for child in children:
            # a question word before the cue ("Why not just say ...", "when asked") is never part of it in PolNeAR
            if child.dep_ not in deps or (side == "left" and child.tag_ == "WRB"):
                break
            start, end = subtree_range(child)
            if any(s < end and start < e for s, e in blocked):
                break
            obj = next((g for g in child.children if g.dep_ in ("pobj", "pcomp")), None)
            features = {
                "side_dep": f"{side}|{child.dep_}",
                "side_word": f"{side}|{child.lower_}",
                "side_word_obj": f"{side}|{child.lower_}|{obj.lemma_.lower() if obj is not None else ''}",
                "obj_ent": obj.ent_type_ if obj is not None else child.ent_type_,
                "cue_word": f"{side}|{lemma}|{child.lower_}",
                "length": min(child.right_edge.i - child.left_edge.i + 1, 6),
                "next": doc[child.right_edge.i + 1].lower_ if child.right_edge.i + 1 < len(doc) else "</s>",
                "ent": child.ent_type_,
            }
            options.append((side, child, (start, end), features))
    return options


# what `content_options` offers, by the part of its kind before ":"; the content stacker weighs each kind
# separately (the ranker's logit and the tagger's view do not say equally much for "paragraph_after" and "child")
CONTENT_KIND_GROUPS = (
    "child", "child_cut", "child_drop_last", "prep", "prep_obj", "prep_obj_cut", "prep_obj_drop_last", "deep",
    "right_children", "paragraph_before", "paragraph_after", "host_clause", "sentence_rest", "after_cue",
    "before_cue", "cue_subtree", "subject", "sentence_whole", "quote", "quote_pair", "rule", "tagger",
)


def kind_columns(kind: str, width: int = len(CONTENT_KIND_GROUPS)) -> list[float]:
    """One-hot of a content option's kind group, for the content stacker (`width`: the first groups only, for
    stackers fitted before the later groups existed)."""
    group = kind.split(":", 1)[0]
    return [float(group == name) for name in CONTENT_KIND_GROUPS[:width]]


# what `source_options` offers: where the candidate hangs from the cue, and where it was cut ("Miller, who ...")
SOURCE_KIND_GROUPS = ("child", "pobj", "relay_agent", "head_subject", "head", "grandhead_subject", "tagger")
SOURCE_CUT_GROUPS = ("", *_SOURCE_CUTS, "break", "left")


def source_kind_columns(kind: str) -> list[float]:
    """One-hot of a source option's origin and of its cut, for the source stacker."""
    base, _, cut = kind.partition("~")
    group = base.split(":", 1)[0]
    return [float(group == name) for name in SOURCE_KIND_GROUPS] + [float(cut == name) for name in SOURCE_CUT_GROUPS]


TAGGER_RUN_THRESHOLD = 0.3  # inside-probability; on the tuning split, lower thresholds match more gold contents


def tagger_content_runs(doc: Any, tagged: np.ndarray, threshold: float | None = None) -> list[tuple[int, int]]:
    """Character extents of the runs of words the token tagger marks as content (inside-probability at least
    `threshold`, by default TAGGER_RUN_THRESHOLD; a confident begin starts a new run), edges trimmed as the
    evaluation trims them."""
    return tagger_runs(doc, tagged, "content", threshold)


def tagger_runs(
    doc: Any, tagged: np.ndarray, role: str, threshold: float | None = None, split_at_begins: bool = True
) -> list[tuple[int, int]]:
    """Character extents of the runs of words the token tagger marks as `role` (see tagger_content_runs);
    without `split_at_begins`, a confident begin inside a run does not start a new one."""
    threshold = TAGGER_RUN_THRESHOLD if threshold is None else threshold
    split = 0.5 if split_at_begins else 2.0  # a begin-probability never reaches 2
    r = ROLE_INDEX[role]
    inside = tagged[:, r, 1] + tagged[:, r, 2]
    begins = tagged[:, r, 1]
    text = doc.text
    runs: list[tuple[int, int]] = []
    position, count = 0, len(doc)
    while position < count:
        if inside[position] < threshold or doc[position].is_space:
            position += 1
            continue
        end = position + 1
        while end < count and inside[end] >= threshold and begins[end] < split:
            end += 1
        last = doc[end - 1]
        start, stop = trim(text, doc[position].idx, last.idx + len(last.text))
        if stop > start:
            runs.append((start, stop))
        position = end
    return runs


def tagger_source_runs(doc: Any, tagged: np.ndarray) -> list[tuple[int, int]]:
    """The tagger's source runs, not split where a begin is likely: its begin-probability often rises inside a
    name ("Senator | Ted | Cruz"), which split runs cut into pieces (tuning split: source .752 -> .756)."""
    return tagger_runs(doc, tagged, "source", split_at_begins=False)


def tagger_source_options(cue: Any, text: str, runs: list[tuple[int, int]], options: list[Option]) -> list[Option]:
    """The tagger's source runs inside the cue's sentence that do not touch the cue word, as source options
    (kind `tagger:before` / `tagger:after`) where no parse option has the same extent: 110 of the 287 gold
    sources of the tuning split that no parse option reached are such a run."""
    sentence = cue.sent
    taken = {(o.fragments[0][0], o.fragments[-1][1]) for o in options}
    added = []
    for start, end in runs:
        if start < sentence.start_char or end > sentence.end_char or (start, end) in taken:
            continue
        if start <= cue.idx + len(cue.text) and cue.idx <= end:
            continue
        option = _option(text, [(start, end)], "tagger:after" if start >= cue.idx else "tagger:before", cue, {})
        if option is not None:
            added.append(option)
    return added


def tagger_content_options(
    cue: Any, text: str, runs: list[tuple[int, int]], options: list[Option]
) -> list[Option]:
    """The tagger's content runs that start in the cue's sentence or the next one and do not hold the cue word,
    as content options (kind `tagger:after` / `tagger:before`) where no parse option has the same extent.
    A fifth of PolNeAR's gold contents are no parse option of their cue; the tagger's runs match a fifth of
    those exactly (tuning split)."""
    sentence = cue.sent
    limit = cue.doc[sentence.end].sent.end_char if sentence.end < len(cue.doc) else sentence.end_char
    taken = {(o.fragments[0][0], o.fragments[-1][1]) for o in options}
    added = []
    for start, end in runs:
        if start < sentence.start_char or start >= limit or start <= cue.idx < end or (start, end) in taken:
            continue
        kind = "tagger:after" if start >= cue.idx else "tagger:before"
        option = _option(text, [(start, end)], kind, cue, {})
        if option is not None:
            option.features.update(content_edge_features(text, option.fragments, kind))
            added.append(option)
    return added


def _restack_sets(
    model: Any, scores: list[np.ndarray], option_sets: list[list[Option]], tagged: np.ndarray, doc: Any, role: str
) -> list[np.ndarray]:
    rows = [span_tagger_features(tagged, doc, o.fragments, role) for options in option_sets for o in options]
    if not rows:
        return scores
    # kind columns, where the stacker was fitted with them (its width says)
    width = getattr(model, "n_features_in_", 0) - len(rows[0]) - 1
    if width > 0:
        kinds = [o.kind for options in option_sets for o in options]
        if role == "content":
            rows = [row + kind_columns(kind, width) for row, kind in zip(rows, kinds)]
        else:
            rows = [row + source_kind_columns(kind) for row, kind in zip(rows, kinds)]
    flat = np.concatenate([np.asarray(x, dtype=np.float64) for x in scores])
    stacked = model.predict_proba(stacked_rows(flat, rows))[:, 1]
    result, first = [], 0
    for options in option_sets:
        result.append(stacked[first : first + len(options)])
        first += len(options)
    return result


_CLAUSE_OPENERS = frozenset(",;:—–-(\"“")
_NOT_SOURCES = frozenset({"which", "that", "who", "what", "it", "this"})
_ASIDE = re.compile(r",\s+(?:who|whose|which|meanwhile|however|though|too|also|in turn)\b", re.I)


def _subject_the_parse_missed(text: str, cue: Any, sources: list[Option]) -> tuple[int, int] | None:
    """For a speech verb the parse left without a subject ("Jeffrey Salkin, a rabbi helping to organize the
    boycott, said ...": a long apposition makes the parser hang the name elsewhere), the tagger's source run
    that opens its clause (the sentence's start or a punctuation mark before it), taken up to the verb when
    what lies between holds no finite verb (the tagger's run often stops a word or two early)."""
    doc = cue.doc
    for option in sources:
        if not option.kind.startswith("tagger:before"):
            continue
        start, end = option.fragments[0][0], option.fragments[-1][1]
        if text[end:cue.idx].strip(" ,\n"):
            gap = doc.char_span(end, cue.idx, alignment_mode="expand")
            if has_finite_verb(gap) or len(text[end:cue.idx].split()) > 3:
                continue
            end = trim(text, start, cue.idx)[1]
        words = text[start:end].split()
        if not words or words[0].lower() in _NOT_SOURCES:
            continue
        aside = _ASIDE.search(text, start, end)
        if aside is not None:  # "Sanders, meanwhile, who sits at zero endorsements": PolNeAR's source is "Sanders"
            end = aside.start()
        opener = text[cue.sent.start_char:start].rstrip()
        if opener and opener[-1] not in _CLAUSE_OPENERS:
            continue
        return start, end
    return None


def _participle_subject(text: str, cue: Any) -> tuple[int, int] | None:
    """A participle cue speaks with the subject of the clause it hangs from ("Trump launched his campaign by
    [talking about] ...", "Mayor Lin began the day ... after [questioning] ...") when that subject is a person,
    group, organisation or personal pronoun. Climbs at most three adverbial, prepositional or complement links."""
    node = cue
    for _ in range(3):
        if node.dep_ not in ("pcomp", "prep", "advcl", "xcomp"):
            return None
        node = node.head
        subject = next((c for c in node.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < cue.i), None)
        if subject is not None:
            # a person, group or organisation, not "the deal" or "its salvo"
            if subject.dep_ == "nsubjpass" or not (subject.lower_ in ("he", "she", "they", "we", "i") or
                                                   subject.ent_type_ in ("PERSON", "ORG", "NORP", "GPE")):
                return None
            start, end = trim(text, *subtree_range(subject))
            return (start, end) if end > start else None
    return None


# subjects that stand for no speaker of a second conjunct: expletives and "it" of "it is ... and"
_NOT_CONJUNCT_SUBJECTS = frozenset({"there", "it", "this", "that", "what", "which", "who"})
_RELATIVE_SUBJECTS = frozenset({"who"})  # "that", "which" stand for things more often than people
_DANGLING_WORDS = frozenset({"with", "of", "in", "on", "at", "for", "from", "by", "to", "and", "but", "or", "the", "a",
                             "an"})


def _first_conjunct_subject(
    text: str, cue: Any, sources: list[Option], scores: np.ndarray
) -> tuple[int, int] | None:
    """The speaker of a speech verb that is the second conjunct of a verb with a nominal subject and has no
    subject of its own ("Two retired officers objected to the review and said ..."): the first verb's subject, cut
    as the source ranker likes it best among that subject's options; for a relative clause's "who" ("Sanders, who
    endorsed him and said ...") the noun it hangs from, up to the clause. None for expletives ("there", "it")."""
    if cue.dep_ != "conj" or cue.pos_ != "VERB" or any(c.dep_ in _SUBJECTS or c.dep_ in ("expl", "auxpass")
                                                        for c in cue.children):
        return None  # a passive ("he is not expected to attend") says nothing of who expects
    head = cue.head
    if head.pos_ not in ("VERB", "AUX") or head.i > cue.i:
        return None
    # "Research conducted for the center showed", "research to be released ... suggests": a participle or
    # infinitive the parse took for the main verb modifies the subject; a first conjunct is finite and an "and",
    # "but" or "or" joins the two
    if not has_finite_verb([head, *(c for c in head.children if c.dep_ in ("aux", "auxpass"))]) or \
            not any(c.dep_ == "cc" and head.i < c.i < cue.i for c in head.children):
        return None
    subjects = [c for c in head.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects or any(c.dep_ == "expl" for c in head.children):
        return None
    if any(t.dep_ in _SUBJECTS and t.head.i != head.i for t in cue.doc[head.i + 1: cue.i]):
        # another clause's subject stands between the conjuncts ("some were yawning as he mentioned X and
        # described Y"): the parse may have joined the verb to the wrong one
        return None
    if len(subjects) > 1:
        # one subject the parse broke in two ("officers with no knowledge of the case but with | experience in war
        # zones"): taken whole when the pieces follow each other before the verb, else none
        pieces = [trim(text, *subtree_range(s)) for s in subjects]
        if any(text[a[1]:b[0]].strip() for a, b in zip(pieces, pieces[1:])) or pieces[-1][1] > head.idx:
            return None
        return pieces[0][0], pieces[-1][1]
    subject = subjects[0]
    if subject.lower_ in _RELATIVE_SUBJECTS and head.dep_ == "relcl":
        noun = head.head
        if noun.pos_ not in ("NOUN", "PROPN") or noun.i > subject.i:
            return None
        start, end = trim(text, noun.left_edge.idx, head.left_edge.idx)
        end = start + len(text[start:end].rstrip(" ,—–-("))
        return (start, end) if end > start else None
    if subject.lower_ in _NOT_CONJUNCT_SUBJECTS or subject.pos_ not in ("NOUN", "PROPN", "PRON"):
        return None
    # the subject whole or cut before one of its own modifiers ("Lena Diaz, who ..."), not at a comma inside
    # one ("an adviser who helped, in 2008, ..."); a cut that ends on a preposition or conjunction is half a phrase
    start = trim(text, *subtree_range(subject))[0]
    ranked = [(score, option) for score, option in zip(scores, sources)
              if option.kind.split("~")[0] == "head_subject:conj" and option.fragments[0][0] == start
              and option.kind.split("~")[-1] not in ("break", "left")
              and text[option.fragments[0][0]:option.fragments[-1][1]].split()[-1].lower() not in _DANGLING_WORDS]
    if not ranked:
        return None
    best = max(ranked, key=lambda pair: pair[0])[1]
    start, end = best.fragments[0][0], best.fragments[-1][1]
    return (start, end) if start < cue.idx and end <= cue.idx else None


def _drop_reported_conjunct_subjects(candidates: list[Candidate]) -> None:
    """A first conjunct's subject that lies inside another attribution's content is part of what that one reports
    ("He said the officials met and agreed ..."), not who speaks: such a source is left out."""
    for candidate in candidates:
        if not candidate.extras.get("conjunct_subject") or candidate.source is None:
            continue
        start, end = candidate.source
        if any(other is not candidate and any(s <= start and end <= e for s, e in other.content)
               for other in candidates):
            candidate.source = None


_CLOSING_QUOTES = ("\"", "”", "''", "’")


def _inverted_after_quotation(text: str, cue: Any) -> tuple[int, int] | None:
    """'"How long is the line?" asked the girl': right after a quotation, a speech verb's object is its
    speaker, inverted (the parser reads "the girl" as the one asked)."""
    if any(c.dep_ in _SUBJECTS for c in cue.children) or cue.pos_ != "VERB":
        return None
    if not text[:cue.idx].rstrip().rstrip(",").endswith(_CLOSING_QUOTES):
        return None
    speaker = next((c for c in cue.children if c.dep_ in ("dobj", "attr") and c.i > cue.i
                    and c.pos_ in ("NOUN", "PROPN")), None)
    if speaker is None:
        return None
    start, end = trim(text, *subtree_range(speaker))
    return (start, end) if end > start else None


def _content_around(
    text: str, fragments: list[tuple[int, int]], source: tuple[int, int], cue: tuple[int, int]
) -> list[tuple[int, int]]:
    """The content's words outside the stretch from source to cue, when source and cue stand next to each other
    (nothing but punctuation between them): "[which] officials said [will go into effect]", "[It disbanded],
    Politico reported in 2014" (a trailing date or place after a clause that came first is the cue's, not the
    content's), "['It is over,'] said the company's chief". Empty when no such reading holds."""
    first, last = min(source[0], cue[0]), max(source[1], cue[1])
    between = text[min(source[1], cue[1]):max(source[0], cue[0])]
    if between.strip(" ,"):
        return []
    before, after = [], []
    for start, end in fragments:
        if start < first:
            before.append(trim(text, start, min(end, first)))
        if end > last:
            after.append(trim(text, max(start, last), end))
    before = [(a, b) for a, b in before if b > a]
    after = [(a, b) for a, b in after if b > a]
    def words(pieces: list[tuple[int, int]]) -> int:
        return len(" ".join(text[a:b] for a, b in pieces).split())

    if before and words(after) >= 4:
        return before + after  # "which officials said will go into effect", "In the end, he said, voters ..."
    if words(before) >= 3:
        return before  # "It disbanded after the election, Politico reported in 2014"; "'...,' said the chief"
    if before and after:
        return before + after
    return []


def _one_cue_per_content(candidates: list[Candidate], text: str) -> list[Candidate]:
    """A cue whose content lies in another paragraph is dropped when a cue of that paragraph chose the very same
    content: "Reuters reported, citing sources, that A.\nThe office said that B." gives "reported" no content of
    its own in the parse, and the tagger's run over B is the office's. (Dropping every farther cue of a shared
    content, in or out of its paragraph, raised relation F1 on PolNeAR dev but lost 1.3 points of source recall.)"""
    def paragraph(position: int) -> int:
        return text.count("\n", 0, position)

    by_content: dict[tuple[tuple[int, int], ...], list[Candidate]] = {}
    for candidate in candidates:
        by_content.setdefault(tuple(candidate.content), []).append(candidate)
    dropped = set()
    for sharing in by_content.values():
        if len(sharing) < 2:
            continue
        home = paragraph(sharing[0].content[0][0])
        if any(paragraph(c.cue[0]) == home for c in sharing):
            dropped.update(id(c) for c in sharing if paragraph(c.cue[0]) != home)
    return [c for c in candidates if id(c) not in dropped]


def _score_sets(scorer: LinearScorer, option_sets: list[list[Option]]) -> list[np.ndarray]:
    rows = [option.features for options in option_sets for option in options]
    if not rows:
        return [np.zeros(0) for _ in option_sets]
    scores = scorer.probabilities(rows)
    result, first = [], 0
    for options in option_sets:
        result.append(scores[first : first + len(options)])
        first += len(options)
    return result


def _trimmed(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [trim(text, start, end) for start, end in regions]


ROLE_INDEX = {"source": 0, "cue": 1, "content": 2}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _token_range(doc: Any, start: int, end: int) -> tuple[int, int]:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return 0, 0
    return span.start, span.end


def span_tagger_features(tagged: np.ndarray, doc: Any, fragments: list[tuple[int, int]], role: str) -> list[float]:
    """What the token tagger thinks of a candidate span: is it inside a `role` span, does one start at its
    first word, does one start again inside it (then it is two spans), do its neighbours continue it?"""
    r = ROLE_INDEX[role]
    inside = tagged[:, r, 1] + tagged[:, r, 2]
    begin = tagged[:, r, 1]
    indices = [i for start, end in fragments for i in range(*_token_range(doc, start, end))
               if not doc[i].is_space and not doc[i].is_punct]
    if not indices:
        return [0.0] * 7
    first, last = indices[0], indices[-1]
    before = next((i for i in range(first - 1, max(first - 4, -1), -1) if not doc[i].is_space and not doc[i].is_punct),
                  None)
    after = next((i for i in range(last + 1, min(last + 4, len(doc))) if not doc[i].is_space and not doc[i].is_punct),
                 None)
    values = inside[indices]
    return [
        float(values.mean()),
        float(values.min()),
        float(begin[first]),
        float(begin[indices[1:]].max()) if len(indices) > 1 else 0.0,
        float(inside[before]) if before is not None else 0.0,
        float(inside[after] - begin[after]) if after is not None else 0.0,
        float((values > 0.5).mean()),
    ]


def cue_tagger_features(tagged: np.ndarray, token: Any) -> list[float]:
    r = ROLE_INDEX["cue"]
    inside = tagged[:, r, 1] + tagged[:, r, 2]
    start, end = cue_range(token)
    indices = [i for i in range(*_token_range(token.doc, start, end)) if not token.doc[i].is_space]
    near = inside[max(0, token.i - 2) : token.i + 3]
    return [
        float(inside[token.i]),
        float(tagged[token.i, r, 1]),
        float(inside[indices].mean()) if indices else 0.0,
        float(near.max()) if len(near) else 0.0,
    ]


def cue_stack_features(tagged: np.ndarray, tokens: list[Any], cue_verbs: set[str] | None) -> list[list[float]]:
    """The cue stacker's inputs beside the ranker's logit: the tagger's view of each cue word and, with
    `cue_verbs` (stackers fitted with `cue_lexicon`), whether its lemma is one of the lexicon's cue verbs (the
    ranker weighs a rare speech verb by its few training cases; the list says what it is)."""
    rows = [cue_tagger_features(tagged, token) for token in tokens]
    if cue_verbs is not None:
        rows = [row + [float(token.lemma_.lower() in cue_verbs)] for row, token in zip(rows, tokens)]
    return rows


# the label before a linked article's headline ("Read more: Pentagon says ..."), at the start of a line
_LINK_LABEL = re.compile(r"^[ \t]*(?:read more|read also|also read|see also|related|watch)[ \t]*:[ \t]*",
                         re.IGNORECASE | re.MULTILINE)


def _overlaps(fragments: list[tuple[int, int]], span: tuple[int, int]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in fragments)


def stacked_rows(base: np.ndarray, extra: list[list[float]]) -> np.ndarray:
    """The stacker's input: the linear ranker's logit beside the tagger's features."""
    return np.column_stack([_logit(np.asarray(base, dtype=np.float64)), np.asarray(extra, dtype=np.float64)])


_SCORERS = ("cue", "source", "content", "cue_edges")
_STACKERS = ("cue", "source", "content")


def _scorer(value: Any) -> LinearScorer:
    return value if isinstance(value, LinearScorer) else LinearScorer(*value)


def save_model(bundle: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write a trained bundle as `model.json` + `model.npz` in `folder` (no pickle): each classifier's feature
    names, coefficients and intercept; the stackers' coefficients with their kind (sklearn's logistic regression or
    the conditional logit, whose probabilities are computed alike but rounded apart)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    scorers: dict[str, Any] = {}
    for role in _SCORERS:
        if not bundle.get(role):
            continue
        scorer = _scorer(bundle[role])
        arrays[f"{role}.names"] = np.asarray(scorer.names, dtype=str)
        arrays[f"{role}.coefficients"] = np.asarray([scorer.weights[name] for name in scorer.names], dtype=np.float64)
        scorers[role] = {"separator": scorer.separator, "intercept": scorer.intercept}
    meta: dict[str, Any] = {"format": MODEL_FORMAT, "scorers": scorers}
    meta.update({key: value for key, value in bundle.items() if key not in (*_SCORERS, "stack")})
    stack = bundle.get("stack")
    if stack is not None:
        stored: dict[str, Any] = {}
        for key, value in stack.items():
            if key in _STACKERS:
                kind = "conditional_logit" if isinstance(value, ConditionalLogit) else "logistic"
                arrays[f"stack.{key}.coefficients"] = np.asarray(value.coef_[0], dtype=np.float64)
                stored[key] = {"kind": kind, "intercept": float(value.intercept_[0])}
            else:
                stored[key] = value
        meta["stack"] = stored
    else:
        meta["stack"] = None
    model_path, arrays_path = folder / MODEL_FILE.name, folder / ARRAYS_FILE
    np.savez_compressed(arrays_path, **arrays)
    model_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return model_path, arrays_path


def load_model(path: Path = MODEL_FILE) -> dict[str, Any]:
    """The bundle `save_model` wrote: `path` is its `model.json` or their folder. Read without pickle."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE.name
    arrays_path = path.parent / ARRAYS_FILE
    if path.suffix in (".pkl", ".pickle", ".joblib"):
        raise ConfigurationError(f"{path}: pickled models are not read; an attribution model is model.json + "
                                 f"{ARRAYS_FILE}, as python -m training.attribution.train writes them")
    if not path.is_file() or not arrays_path.is_file():
        raise ConfigurationError(f"{path}: an attribution model needs model.json and {ARRAYS_FILE} in its folder")
    meta = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("format") != MODEL_FORMAT:
        raise ConfigurationError(f"{path}: format {meta.get('format')!r}, not {MODEL_FORMAT!r}")
    bundle = {key: value for key, value in meta.items() if key not in ("format", "scorers", "stack")}
    with np.load(arrays_path, allow_pickle=False) as arrays:
        for role, scorer in meta["scorers"].items():
            bundle[role] = LinearScorer.from_arrays(arrays[f"{role}.names"].tolist(),
                                                    arrays[f"{role}.coefficients"],
                                                    float(scorer["intercept"]), str(scorer["separator"]))
        stack = meta.get("stack")
        if stack is not None:
            stack = dict(stack)
            for key in _STACKERS:
                if key in stack:
                    model = ConditionalLogit if stack[key]["kind"] == "conditional_logit" else LogisticLinear
                    stack[key] = model(arrays[f"stack.{key}.coefficients"], float(stack[key]["intercept"]))
        bundle["stack"] = stack
    return bundle


class LearnedExtractor:
    """Applies the three trained classifiers to a parsed document."""

    def __init__(self, path: Path = MODEL_FILE, prefer_rules: bool = True) -> None:
        self.load(load_model(path))
        # where a parse rule understood the construction (a quotation beside its cue, "according to"), its
        # content is kept: the rules get those exactly right more often than the linear ranker
        self.prefer_rules = prefer_rules

    @classmethod
    def from_bundle(cls, bundle: dict[str, Any], prefer_rules: bool = True) -> LearnedExtractor:
        """An extractor over classifiers in memory (training scores its held-out split with this)."""
        extractor = cls.__new__(cls)
        extractor.load(bundle)
        extractor.prefer_rules = prefer_rules
        return extractor

    def load(self, bundle: dict[str, Any]) -> None:
        """`bundle` as training makes it ((vectorizer, model) pairs) or as `load_model` reads it (scorers)."""
        self.cue_scorer = _scorer(bundle["cue"])
        self.source_scorer = _scorer(bundle["source"])
        self.content_scorer = _scorer(bundle["content"])
        self.cue_threshold = float(bundle.get("cue_threshold", 0.5))
        # the verbs that open a nested attribution: the lexicon's list, which users may extend
        lexicon = Lexicon()
        self.nested_cue_verbs = lexicon.nested_cue_verbs
        # a verb's object word that belongs to its cue ("expressed concern about", "made clear")
        self.cue_objects = lexicon.cue_objects
        self.cue_verbs = lexicon.cue_verbs
        self.source_threshold = float(bundle.get("source_threshold", 0.3))
        self.version = str(bundle.get("version", "?"))
        # with the token tagger: small logistic regressions over (ranker logit, tagger features), fitted on
        # articles neither the tagger nor the ranker's held-out copy saw (see the training module)
        self.stack: dict[str, Any] | None = bundle.get("stack")
        # which neighbouring words widen a cue ("also said", "said in a statement"); absent in older bundles
        self.cue_edges: LinearScorer | None = _scorer(bundle["cue_edges"]) if bundle.get("cue_edges") else None

    def candidates(
        self, doc: Any, regions: list[tuple[int, int]], rule_candidates: list[Candidate],
        tagged: np.ndarray | None = None, text: str | None = None,
        enclosing: list[tuple[int, int]] | None = None,
    ) -> list[Candidate]:
        """Attributions of one parsed doc; `tagged` is the token tagger's output for it (optional), `text` its
        `doc.text` when the caller has it already; `enclosing`: character extents of reported words found
        otherwise (a "Name: statement" line's statement), where speech verbs open nested attributions."""
        stack = self.stack if tagged is not None else None
        text = doc.text if text is None else text
        tokens = cue_candidates(doc)
        if not tokens:
            return []
        quoted = np.zeros(len(text) + 1, dtype=bool)
        for start, end in regions:
            quoted[start:end] = True
        features = [cue_features(t, bool(quoted[t.idx])) for t in tokens]
        probabilities = self.cue_scorer.probabilities(features)
        threshold = self.cue_threshold
        ranker_probabilities = probabilities
        if stack is not None:
            extra = cue_stack_features(tagged, tokens, self.cue_verbs if stack.get("cue_lexicon") else None)
            probabilities = stack["cue"].predict_proba(stacked_rows(probabilities, extra))[:, 1]
            threshold = stack["cue_threshold"]
        rule_by_token = {c.cue_token.i: c for c in rule_candidates if c.cue_token is not None}
        # a rule whose cue spans several words ("quoted ... as saying") answers for each of them
        rule_by_token.update({i: c for c in rule_candidates for i in c.extras.get("cue_tokens", ())
                              if i not in rule_by_token})
        chosen_cues = [(t, p) for t, p in zip(tokens, probabilities) if p >= threshold]
        # nested cues (inside another attribution's reported words): with stackers fitted for it
        # (`nested_by_ranker`), the ranker alone chooses their source and content, since the tagger's marks there
        # are the enclosing attribution's (PolNeAR annotates no nesting), and a statement found otherwise
        # (`enclosing`: a "Name: statement" line) opens nested attributions too
        nested: set[int] = set()
        if stack is not None and self.rescue_nested:
            by_ranker = bool(stack.get("nested_by_ranker"))
            chosen_cues = self._with_nested_cues(chosen_cues, tokens, ranker_probabilities,
                                                 (enclosing or []) if by_ranker else [])
            if by_ranker:
                nested = {t.i for t, _ in chosen_cues} - {t.i for t, p in zip(tokens, probabilities) if p >= threshold}
        # every cue's options scored in one call per classifier: the per-call overhead dominates otherwise
        content_sets = [content_options(t, text, regions, rule_by_token.get(t.i)) for t, _ in chosen_cues]
        if stack is not None and stack.get("tagger_options"):
            runs = tagger_content_runs(doc, tagged)
            for (token, _), options in zip(chosen_cues, content_sets):
                if token.i not in nested:
                    options.extend(tagger_content_options(token, text, runs, options))
        source_sets = [source_options(t, text) for t, _ in chosen_cues]
        if stack is not None and stack.get("tagger_sources"):
            runs = tagger_source_runs(doc, tagged)
            for (token, _), options in zip(chosen_cues, source_sets):
                if token.i not in nested:
                    options.extend(tagger_source_options(token, text, runs, options))
        content_scores = _score_sets(self.content_scorer, content_sets)
        source_scores = _score_sets(self.source_scorer, source_sets)
        ranker_content_scores, ranker_source_scores = content_scores, source_scores
        source_threshold = self.source_threshold
        if stack is not None:
            content_scores = _restack_sets(stack["content"], content_scores, content_sets, tagged, doc, "content")
            source_scores = _restack_sets(stack["source"], source_scores, source_sets, tagged, doc, "source")
        quotes = _trimmed(text, regions)
        result = []
        for position, ((token, probability), contents, sources) in enumerate(
            zip(chosen_cues, content_sets, source_sets)
        ):
            if not contents:
                continue
            if stack is not None and token.i not in nested:
                c_scores, s_scores = content_scores[position], source_scores[position]
                source_threshold = stack["source_threshold"]
            else:
                c_scores, s_scores = ranker_content_scores[position], ranker_source_scores[position]
                source_threshold = self.source_threshold
            rule = rule_by_token.get(token.i)
            source = None
            if sources:
                best = int(np.argmax(s_scores))
                if s_scores[best] >= source_threshold:
                    source = sources[best].fragments[0][0], sources[best].fragments[-1][1]
                elif token.lemma_.lower() in self.nested_cue_verbs and \
                        not any(c.dep_ in _SUBJECTS for c in token.children):
                    source = _subject_the_parse_missed(text, token, sources)
                if source is None and token.tag_ == "VBG":
                    source = _participle_subject(text, token)
                if source is None:
                    source = _inverted_after_quotation(text, token)
            conjunct_subject = False
            if source is None:
                source = _first_conjunct_subject(text, token, sources, s_scores)
                conjunct_subject = source is not None
            chosen = contents[int(np.argmax(c_scores))]
            fragments = chosen.fragments
            pair_around_rule = chosen.kind.startswith("quote_pair") and rule is not None and all(
                fragments[0][0] <= s and e <= fragments[-1][1] for s, e in rule.content)
            if self.prefer_rules and rule is not None and not pair_around_rule and (
                token.lower_ == "according" or _rule_quotes_its_content(text, rule.content, quotes, stack is None)
            ):
                fragments = list(rule.content)
            cue = cue_range(token)
            if chosen.kind.startswith(("prep_obj:", "prep:")):
                # "called for X", "pointed to X": the preposition right after the cue word belongs to the cue
                preposition = next((c for c in token.children if c.dep_ in ("prep", "dative")
                                    and c.lower_ == chosen.kind.split(":", 1)[1]), None)
                if preposition is not None and preposition.i == token.i + 1:
                    cue = cue[0], preposition.idx + len(preposition.text)
            if chosen.kind.startswith("deep:") and fragments == chosen.fragments:
                # "continue to express X", "has a rare chance to show that X": the cue runs up to its object
                cue = trim(text, cue[0], fragments[0][0])
            channel = None
            if rule is not None and rule.channel is not None:
                cue, source, channel = rule.cue, rule.source, rule.channel
            if source is not None and _overlaps(fragments, source):
                label = _LINK_LABEL.match(text, fragments[0][0])
                if label is not None and source[0] >= label.end() and fragments[-1][1] > cue[1]:
                    # "Read more: Pentagon says was engaged ...": a linked headline, parsed with its label
                    fragments = [trim(text, cue[1], fragments[-1][1])]
                else:
                    # a source inside its own content: the content took the clause around its cue ("which
                    # officials said will ...", "It disbanded, Politico reported"); the source the parse
                    # gives is kept and the content is what lies around source and cue, else no source
                    around = _content_around(text, fragments, source, cue)
                    if around:
                        fragments = around
                    else:
                        source = None
            result.append(Candidate(content=fragments, source=source, cue=cue, cue_token=token,
                                    channel=channel, score=float(probability), origin="model",
                                    extras={"conjunct_subject": True} if conjunct_subject else {}))
        if self.cue_edges is not None:
            widen = [c for c in result if c.channel is None and c.cue_token.lower_ != "according"]
            widened = self.widen_cues(
                [(c.cue_token, c.cue, [*c.content, *([c.source] if c.source else [])]) for c in widen])
            for candidate, cue in zip(widen, widened):
                candidate.cue = cue
        seen: set[tuple[Any, ...]] = set()
        for candidate in list(result):
            if candidate.channel is None and candidate.cue_token.lower_ != "according":
                _object_into_cue(candidate, text, self.cue_objects)
                _floating_quantifier_into_cue(candidate, text)
                _chain_into_cue(candidate, text)
                candidate.cue = _through_preposition(doc, text, candidate.cue, candidate.content)
                candidate.cue = _from_chain_top(candidate.cue_token, text, candidate.cue,
                                                [*candidate.content, *([candidate.source] if candidate.source else [])])
            # two cue words of one chain ("continue", "warn") may now give the same attribution twice
            key = (candidate.cue, tuple(candidate.content), candidate.source)
            if key in seen:
                result.remove(candidate)
            seen.add(key)
        _drop_reported_conjunct_subjects(result)
        return _one_cue_per_content(result, text)

    # the tagger rarely marks a speech verb inside another attribution's reported clause ("The Kremlin said
    # that officials had claimed ..."); nested chains are wanted, so the ranker alone decides there
    rescue_nested = True

    def _with_nested_cues(
        self, chosen: list[tuple[Any, float]], tokens: list[Any], ranker_probabilities: np.ndarray,
        enclosing: list[tuple[int, int]],
    ) -> list[tuple[Any, float]]:
        """Add the speech verbs with a subject, inside the complement clause of a chosen cue or inside an
        `enclosing` extent, that the ranker alone takes (its own threshold) and the stacked tagger did not."""
        chosen_at = {t.i for t, _ in chosen}
        added = []
        for token, probability in zip(tokens, ranker_probabilities):
            if token.i in chosen_at or probability < self.cue_threshold or token.pos_ != "VERB":
                continue
            if token.lemma_.lower() not in self.nested_cue_verbs:
                continue
            if not any(c.dep_ in _SUBJECTS for c in token.children):
                continue
            if any(start <= token.idx < end for start, end in enclosing):
                added.append((token, float(probability)))
                continue
            node = token
            while node.head is not node and node.dep_ in ("ccomp", "conj", "xcomp"):
                if node.head.i in chosen_at and node.dep_ == "ccomp":
                    added.append((token, float(probability)))
                    break
                node = node.head
        return sorted(chosen + added, key=lambda pair: pair[0].i)

    def widen_cues(
        self, requests: list[tuple[Any, tuple[int, int], list[tuple[int, int]]]]
    ) -> list[tuple[int, int]]:
        """Each (cue token, cue, blocked ranges) request's cue with the neighbouring words the edge classifier
        keeps, nearest first, each side stopping at the first word left out; one classifier call for all."""
        if self.cue_edges is None:
            return [cue for _, cue, _ in requests]
        option_lists = [cue_edge_options(token, cue, blocked) for token, cue, blocked in requests]
        rows = [features for options in option_lists for _, _, _, features in options]
        if not rows:
            return [cue for _, cue, _ in requests]
        keep = self.cue_edges.probabilities(rows) >= 0.5
        widened, offset = [], 0
        for (_, (start, end), blocked), options in zip(requests, option_lists):
            open_sides = {"left", "right"}
            for (side, _, (s, e), _), wanted in zip(options, keep[offset:offset + len(options)]):
                if side not in open_sides:
                    continue
                wider = min(start, s), max(end, e)
                # a phrase past the content ("talks about [immigration] at every rally") would swallow it
                if not wanted or any(b0 < wider[1] and wider[0] < b1 for b0, b1 in blocked):
                    open_sides.discard(side)
                    continue
                start, end = wider
            offset += len(options)
            widened.append((start, end))
        return widened
