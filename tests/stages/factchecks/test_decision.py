"""The decision on a retrieved fact-check: asserted, denied, reported, or nothing (sentences written here)."""

from __future__ import annotations

from sourcetrace.stages.factchecks.decision import (
    MATCH,
    REFUTES,
    REPORTS,
    DecisionSettings,
    content_polarity,
    decide,
    opposite_polarity,
    word_overlap,
)

LAB_CLAIM = "The United States runs secret biological laboratories in Ukraine."
AGREE = (0.8, 0.05, 0.15, 0.0)  # agree, disagree, discuss, unrelated
DISCUSS = (0.2, 0.05, 0.75, 0.0)
SURE = {"score": 0.95, "cosine": 0.85}


def test_negation_reaches_to_the_end_of_its_clause() -> None:
    polarity = content_polarity("It is not plausible that the virus developed naturally, experts said.")
    assert polarity["natural"] and polarity["develop"] and not polarity["expert"]
    assert content_polarity("The virus is naturally derived and not man-made.") == {
        "virus": False, "natural": False, "deriv": False, "man": True, "made": True}


def test_opposite_polarity_over_the_shared_words() -> None:
    claim = "It is not plausible that the virus developed naturally."
    assert opposite_polarity("All the evidence says the virus developed naturally in bats.", claim)
    assert not opposite_polarity("The virus did not develop naturally, the report says.", claim)
    assert opposite_polarity("No secret biological laboratories run by the United States exist in Ukraine.",
                             LAB_CLAIM)
    assert not opposite_polarity("Washington runs secret biological laboratories in Ukraine.", LAB_CLAIM)
    assert word_overlap("Washington runs secret biological laboratories in Ukraine.", LAB_CLAIM) == 5 / 7


def test_a_plain_assertion_in_the_articles_voice_is_a_match() -> None:
    sentence = "The United States runs secret biological laboratories across Ukraine."
    decision = decide(sentence, LAB_CLAIM, **SURE, stance_probabilities=AGREE, attributed_to=None)
    assert decision.kind == MATCH and decision.stance == "agree" and decision.data()["stance_probability"] == 0.8


def test_a_denial_refutes_whatever_the_stance_model_says() -> None:
    sentence = "Claims that the United States runs secret biological laboratories in Ukraine are false."
    decision = decide(sentence, LAB_CLAIM, **SURE, stance_probabilities=AGREE, attributed_to=None)
    assert decision.kind == REFUTES and "false" in decision.reasons[0]
    covid = decide("All evidence so far points to the fact that the virus is naturally derived and not man-made.",
                   "It is not plausible that the virus developed naturally.", **SURE, stance_probabilities=AGREE,
                   attributed_to=None)
    assert covid.kind == REFUTES


def test_an_attributed_or_reported_claim_is_reported() -> None:
    attributed = decide("The United States runs secret biological laboratories in Ukraine.", LAB_CLAIM, **SURE,
                        stance_probabilities=DISCUSS, attributed_to="Russian state media")
    assert attributed.kind == REPORTS and attributed.reasons == ["attributed to Russian state media"]
    reported = decide("The United States allegedly runs secret biological laboratories in Ukraine.", LAB_CLAIM,
                      **SURE, stance_probabilities=DISCUSS, attributed_to=None)
    assert reported.kind == REPORTS and "allegedly" in reported.reasons[0]


def test_unsure_gives_nothing() -> None:
    sentence = "The United States runs secret biological laboratories in Ukraine."
    for change in ({"score": 0.5}, {"cosine": 0.4}):
        decision = decide(sentence, LAB_CLAIM, **{**SURE, **change}, stance_probabilities=AGREE, attributed_to=None)
        assert decision.kind is None and decision.data()["decision"] == "none"
    assert decide(sentence, LAB_CLAIM, **SURE, stance_probabilities=DISCUSS, attributed_to=None).kind is None
    unrelated = decide(sentence, LAB_CLAIM, **SURE, stance_probabilities=(0.1, 0.0, 0.1, 0.8), attributed_to=None)
    assert unrelated.kind is None and "unrelated" in unrelated.reasons[0]
    few_words = decide("Ukraine signed a trade deal with Poland on Monday.", LAB_CLAIM, **SURE,
                       stance_probabilities=AGREE, attributed_to=None)
    assert few_words.kind is None
    loose = DecisionSettings(min_overlap=0.0)
    assert decide("Ukraine signed a trade deal with Poland on Monday.", LAB_CLAIM, **SURE,
                  stance_probabilities=AGREE, attributed_to=None, settings=loose).kind == MATCH
