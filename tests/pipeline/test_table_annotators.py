"""The table forms of spaCy's attribute ruler and lemmatizer leave every attribute as spaCy's components do."""

from __future__ import annotations

import functools

import pytest
import spacy
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, ORTH, POS, SENT_START, TAG

from sourcetrace.pipeline.backbone import MODEL_PACKAGE, load_spacy
from sourcetrace.pipeline.table_annotators import use_tables
from tests.conftest import POLNEAR, SEED_ARTICLE, require_shared

ATTRS = [ORTH, POS, TAG, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START]

# our own sentences for the ruler's rarer rules: two-token patterns (gon na, got ta, let 's, y' all, ai n't),
# the colloquial lemmas, expletive "there", auxiliaries as main verbs, space tokens and pronoun cases
RARE_RULES = (
    "We're gonna need a bigger budget, y'all, and I ain't joking. Let's see what you got ta say.\n\n"
    "There were 12 drones; there's no doubt. She had done it before, doin' fine. 'Em? Nothin' but ol' news.\n"
    "It did what it had to. Did you? I told him, and he told me: it is what it is.  \n  Somethin' else, c'mon."
)


@functools.lru_cache(maxsize=1)
def stock() -> spacy.language.Language:
    """spaCy's own components, with the backbone's line-break cut before the parse (so only the ruler and the
    lemmatizer differ from the backbone)."""
    nlp = spacy.load(MODEL_PACKAGE)
    nlp.add_pipe("sourcetrace_line_breaks", before="parser")
    return nlp


def assert_same_annotations(texts: list[str]) -> None:
    nlp = load_spacy()
    assert "sourcetrace_attribute_table" in nlp.pipe_names and "sourcetrace_lemma_table" in nlp.pipe_names
    for text, ours, theirs in zip(texts, nlp.pipe(texts), stock().pipe(texts)):
        assert (ours.to_array(ATTRS) == theirs.to_array(ATTRS)).all(), text[:80]
        assert [str(token.morph) for token in ours] == [str(token.morph) for token in theirs]


def test_the_rarer_rules_and_empty_texts_come_out_as_spacy_sets_them():
    assert_same_annotations([RARE_RULES, "", " ", "\n\n", "Gon", "na", "I"])


def test_real_articles_come_out_as_spacy_sets_them():
    texts = [SEED_ARTICLE.read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8")
              for path in sorted((require_shared(POLNEAR) / "train" / "text").glob("*.txt"))[:25]]
    assert_same_annotations(texts)


def test_a_rule_the_tables_cannot_read_leaves_spacy_component_in_place():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"POS": "NOUN"}]], {"MORPH": "Number=Sing"})  # POS is not among what the tables read
    assert use_tables(nlp) == []
    assert nlp.pipe_names == ["attribute_ruler"]


def test_the_replaced_components_stay_loaded_and_disabled():
    nlp = load_spacy()
    assert {"attribute_ruler", "lemmatizer"} <= set(nlp.disabled)
    assert nlp.pipe_names.index("sourcetrace_attribute_table") < nlp.pipe_names.index("sourcetrace_lemma_table")


@pytest.mark.parametrize("text", ["They haven't decided.", "THE MINISTER SAID IT WAS OVER."])
def test_a_second_pass_over_the_same_words_reads_the_tables(text):
    nlp = load_spacy()
    first, second = nlp(text), nlp(text)
    assert [t.lemma_ for t in first] == [t.lemma_ for t in second] == [t.lemma_ for t in stock()(text)]
