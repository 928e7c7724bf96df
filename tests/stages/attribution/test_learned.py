"""The trained attribution model's decoding (`sourcetrace.stages.attribution.learned`) with a token tagger's
probabilities: which decisions the stacked tagger takes part in."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.stages.attribution.learned import MODEL_FILE, LearnedExtractor
from sourcetrace.stages.attribution.rules import Lexicon, RuleExtractor, quote_regions


class _NoCue:
    """A stand-in cue stacker that takes no cue word at all."""

    def __init__(self, width: int) -> None:
        self.n_features_in_ = width

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(rows)), np.zeros(len(rows))])


class _AgainstTheRanker:
    """A stand-in stacker that ranks options in the reverse order of the ranker (its first column, the ranker's
    logit): whatever it decides is visibly not the ranker's choice."""

    def __init__(self, width: int) -> None:
        self.n_features_in_ = width

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(np.asarray(rows, dtype=np.float64)[:, 0]))
        return np.column_stack([1 - positive, positive])


def _outer_only_tags(doc, source: int, cue: int, content_from: int) -> np.ndarray:
    """Tagger probabilities that mark one attribution, the outer one: its source word, its cue word and every word
    from `content_from` to the end (the full stop aside), as a tagger trained on PolNeAR (no nesting) does."""
    tagged = np.zeros((len(doc), 3, 3), dtype=np.float32)
    tagged[:, :, 0] = 1.0

    def mark(i: int, role: int, label: int) -> None:
        tagged[i, role] = 0.0
        tagged[i, role, label] = 1.0

    mark(source, 0, 1)
    mark(cue, 1, 1)
    for i in range(content_from, len(doc) - 1):
        mark(i, 2, 1 if i == content_from else 2)
    return tagged


@pytest.fixture(scope="module")
def parts():
    from sourcetrace.pipeline.backbone import load_spacy

    return load_spacy(), LearnedExtractor(MODEL_FILE), RuleExtractor(Lexicon())


def _attributions(parts, text: str, tagged: np.ndarray, enclosing=None, stand_ins: dict | None = None,
                  nested_by_ranker: bool = True):
    """Cue text -> (source text, content text) of what the shipped classifiers find with `tagged`, the stackers
    replaced by `stand_ins` (role -> class) and the stack's `nested_by_ranker` set as given."""
    nlp, learned, rules = parts
    doc = nlp(text)
    stack = {**learned.stack, "nested_by_ranker": nested_by_ranker}
    for role, stand_in in (stand_ins or {}).items():
        stack[role] = stand_in(learned.stack[role].n_features_in_)
    extractor = LearnedExtractor.from_bundle({"cue": learned.cue_scorer, "source": learned.source_scorer,
                                              "content": learned.content_scorer, "stack": stack,
                                              "cue_threshold": learned.cue_threshold,
                                              "source_threshold": learned.source_threshold})
    found = extractor.candidates(doc, quote_regions(text), rules.candidates(doc), tagged, text=text,
                                 enclosing=enclosing)
    return {text[c.cue[0]:c.cue[1]]: (c.source and text[c.source[0]:c.source[1]],
                                      " ".join(text[a:b] for a, b in c.content)) for c in found}


def test_the_ranker_alone_chooses_source_and_content_of_a_nested_cue(parts):
    nlp = parts[0]
    text = "Smith said his lawyer told him the case would be dropped."
    tagged = _outer_only_tags(nlp(text), source=0, cue=1, content_from=2)
    plain = _attributions(parts, text, tagged)
    assert plain["told"] == ("his lawyer", "the case would be dropped")
    # a stacker that contradicts the ranker changes the outer attribution, never the nested one
    contrary = {"source": _AgainstTheRanker, "content": _AgainstTheRanker}
    against = _attributions(parts, text, tagged, stand_ins=contrary)
    assert against["told"] == plain["told"]
    assert against["said"] != plain["said"]
    # stackers fitted without that setting (`nested_by_ranker` absent) decide nested cues as any other
    assert _attributions(parts, text, tagged, stand_ins=contrary, nested_by_ranker=False)["told"] != plain["told"]


def test_a_speech_verb_inside_an_enclosing_statement_opens_a_nested_attribution(parts):
    nlp = parts[0]
    text = "Kuleba: Peskov claims the talks will resume soon."
    doc = nlp(text)
    tagged = _outer_only_tags(doc, source=0, cue=1, content_from=2)
    statement = (doc[2].idx, len(text) - 1)  # what a "Name: statement" line attributes, found by a rule
    no_cue = {"cue": _NoCue}  # the stacked tagger takes no cue word here
    assert "claims" not in _attributions(parts, text, tagged, stand_ins=no_cue)
    assert "claims" not in _attributions(parts, text, tagged, enclosing=[statement], stand_ins=no_cue,
                                         nested_by_ranker=False)
    nested = _attributions(parts, text, tagged, enclosing=[statement], stand_ins=no_cue)
    assert nested["claims"][0] == "Peskov"
    assert nested["claims"][1].startswith("the talks will resume")


def test_the_cue_stacker_sees_whether_a_word_is_a_lexicon_cue_verb(parts):
    from sourcetrace.stages.attribution.learned import cue_stack_features

    nlp, learned, _ = parts
    doc = nlp("The treasurer grumbled that the auditors ate the biscuits.")
    tagged = np.zeros((len(doc), 3, 3), dtype=np.float32)
    tokens = [doc[2], doc[6]]  # "grumbled" (not in the lexicon's cue verbs), "ate"
    assert [len(row) for row in cue_stack_features(tagged, tokens, None)] == [4, 4]
    assert [row[-1] for row in cue_stack_features(tagged, tokens, {"grumble"})] == [1.0, 0.0]
    assert [row[-1] for row in cue_stack_features(tagged, [doc[2]], learned.cue_verbs)] == [0.0]


class _LastColumn:
    """A stand-in cue stacker whose probability is its last input column (the lexicon flag when there is one)."""

    def __init__(self, width: int) -> None:
        self.n_features_in_ = width

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        positive = np.asarray(rows, dtype=np.float64)[:, -1].clip(0, 1)
        return np.column_stack([1 - positive, positive])


def test_stackers_fitted_with_the_cue_lexicon_flag_receive_it(parts):
    nlp, learned, rules = parts
    text = "The treasurer insisted that the auditors ate the biscuits."
    doc = nlp(text)
    tagged = np.zeros((len(doc), 3, 3), dtype=np.float32)
    stack = {**learned.stack, "cue": _LastColumn(6), "cue_lexicon": True, "cue_threshold": 0.5}
    extractor = LearnedExtractor.from_bundle({"cue": learned.cue_scorer, "source": learned.source_scorer,
                                              "content": learned.content_scorer, "stack": stack,
                                              "cue_threshold": learned.cue_threshold,
                                              "source_threshold": learned.source_threshold})
    found = extractor.candidates(doc, quote_regions(text), rules.candidates(doc), tagged, text=text)
    assert [text[c.cue[0]:c.cue[1]] for c in found] == ["insisted"]


# --- the speaker of a second conjunct ------------------------------------------------------------------------

def _conjunct_cue(nlp, text: str, cue: str):
    doc = nlp(text)
    return next(t for t in doc if t.text == cue)


def test_a_second_conjunct_speaks_with_the_first_verbs_subject():
    from sourcetrace import analyze

    text = ("Several retired firefighters who had worked the blaze objected to the county's review and said the "
            "evacuation order came too late.")
    found = [a for a in analyze(text, id="t", stages=("backbone", "attribution")).attributions
             if a.cue is not None and a.cue.text == "said"]
    assert found and found[0].source is not None
    assert found[0].source.text.startswith("Several retired firefighters")
    assert found[0].content.text == "the evacuation order came too late"


@pytest.mark.parametrize("text, cue, source", [
    ("The two inspectors objected to the permit and said the plant was unsafe.", "said", "The two inspectors"),
    # a relative clause's "who": the noun it hangs from, without the clause
    ("Marisol Vega, who chairs the zoning committee and said she would resign, left early.", "said", "Marisol Vega"),
    ("The inspectors, who toured the plant in May and reported several leaks, were not invited back.", "reported",
     "The inspectors"),
    # other clauses' subjects between the conjuncts: the parse joined "described" to "dozing", not to "read"
    ("By the second hour, some delegates were dozing and others reading as she read the budget and described the "
     "plan for new parks.", "described", None),
    # a passive says nothing of who expects
    ("The senator toured the plant on Monday and is not expected to attend the vote.", "expected", None),
    # "it" and expletives speak for no one
    ("It is raining in the capital and said to worsen overnight.", "said", None),
    # no "and" between them: a participle the parse took for the main verb
    ("Data gathered for the union showed that wages fell.", "showed", None),
    ("Figures to be published next week by the treasury suggest that the deficit grew.", "suggest", None),
])
def test_first_conjunct_subject_rules(parts, text, cue, source):
    from sourcetrace.stages.attribution.learned import _first_conjunct_subject, source_options

    token = _conjunct_cue(parts[0], text, cue)
    options = source_options(token, text)
    found = _first_conjunct_subject(text, token, options, np.ones(len(options)))
    assert (text[found[0]:found[1]] if found else None) == source


def test_a_first_conjuncts_subject_inside_another_content_is_no_source():
    from sourcetrace.stages.attribution.learned import _drop_reported_conjunct_subjects
    from sourcetrace.stages.attribution.rules import Candidate

    text = "Lopez said the inspectors met on Friday and agreed to reopen the bridge."
    outer = Candidate(content=[(11, len(text) - 1)], source=(0, 5), cue=(6, 10))
    inner = Candidate(content=[(52, len(text) - 1)], source=(11, 25), cue=(45, 51),
                      extras={"conjunct_subject": True})
    _drop_reported_conjunct_subjects([outer, inner])
    assert inner.source is None and outer.source == (0, 5)
