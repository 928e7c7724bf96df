"""What a sentence does with a claim that fact-checkers rated: asserts it, denies it, reports it, or none of these.

A retrieved fact-check is a neighbour, not a finding. `decide` turns (sentence, checked claim, retrieval score)
into one of three findings, or nothing:

- `factcheck_match`: the sentence makes the same claim and asserts it in the article's own voice;
- `refutes_checked_claim`: it makes the same claim but denies it (negated where the claim is not, or the other
  way round; or it calls it false, a hoax, a myth...): the article agrees with the fact-checkers;
- `reports_checked_claim`: it states the claim as someone else's (an attribution with a source, or a reporting
  word: "claimed", "allegedly", "according to").

"The same claim" needs all of: the retrieval probability (`threshold`), the MiniLM cosine (`min_cosine`), the
share of the checked claim's content words that the sentence uses (`min_overlap`) and the stance model not
reading the pair as unrelated. A sentence that passes as the same claim in its own voice is a match only when
the stance model reads it as agreeing; when the polarity, the voice or the stance is unclear, nothing is
emitted: a false "matches known disinformation" is the worst error this layer can make.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sourcetrace.stages.factchecks.stance import STANCES

MATCH = "factcheck_match"
REFUTES = "refutes_checked_claim"
REPORTS = "reports_checked_claim"

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?|[.,;:!?()\u2014\u2013]")
NEGATIONS = frozenset(("not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot",
                       "deny", "denies", "denied", "denying", "rejects", "rejected", "refutes", "refuted", "dismissed",
                       "dismisses", "debunks", "debunked", "disproves", "disproved", "lacks"))
# Words that end a negation's reach: a clause boundary.
_SCOPE_ENDS = frozenset((".", ",", ";", ":", "!", "?", "(", ")", "\u2014", "\u2013", "but", "and", "or", "while",
                         "whereas", "although", "though", "because", "since", "however", "yet", "so"))
_SCOPE_WORDS = 12
# Words that call a claim untrue: a sentence with one of them (that the checked claim lacks) denies it.
REFUTING_WORDS = frozenset((
    "false", "falsely", "fake", "hoax", "hoaxes", "myth", "myths", "debunked", "debunk", "debunks", "baseless",
    "unfounded", "untrue", "fabricated", "fabrication", "fabrications", "disinformation", "misinformation",
    "propaganda", "conspiracy", "lie", "lies", "lying", "bogus", "groundless", "nonsense", "refuted", "refutes",
    "disproved", "discredited", "misleading", "denied", "denies", "deny", "rejected", "dismissed",
))
# Words that present a claim as someone else's statement.
REPORTING_WORDS = frozenset((
    "claim", "claims", "claimed", "claiming", "alleged", "allegedly", "alleges", "allege", "reportedly",
    "purportedly", "supposedly", "purported", "according", "said", "says", "say", "told", "insisted", "insists",
    "asserted", "asserts", "argued", "argues", "suggested", "suggests", "accused", "accuses", "rumour", "rumours",
    "rumor", "rumors", "theory", "narrative", "believe", "believes", "wrote", "writes", "tweeted", "stated",
))
_STOP = frozenset("""a an the of to in on for at by with from and or but as is are was were be been being it its this
that these those he she they we you i his her their our your has have had do does did will would can could may might
shall should must s about into over after before than then so such also just more most other some any what which who
whom when where why how all each both few up out if while there here very""".split())


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("\u2019", "'") for t in _WORD.findall(text)]


def _stem(word: str) -> str:
    word = word[:-2] if word.endswith("'s") else word
    if word.endswith(("ss", "us", "is")):  # "press", "virus", "analysis": no plural to fold
        return word
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def content_polarity(text: str) -> dict[str, bool]:
    """Content word stems of `text` -> whether the word stands inside a negation's reach.

    A negation ("not", "no", "never", "n't", "denied", ...) reaches the words after it up to the end of its clause
    (punctuation, a conjunction) or 12 words; "not plausible that COVID-19 developed naturally" negates "developed"
    and "naturally". A word seen both inside and outside a negation counts as negated once it is negated anywhere
    before its plain use is seen (the first reading wins)."""
    polarity: dict[str, bool] = {}
    reach = 0
    for token in _tokens(text):
        if _is_negation(token):
            reach = _SCOPE_WORDS
            continue
        if token in _SCOPE_ENDS:
            reach = 0
            continue
        if token in _STOP or len(token) < 2:
            reach = max(reach - 1, 0) if reach else 0
            continue
        polarity.setdefault(_stem(token), reach > 0)
        reach = max(reach - 1, 0)
    return polarity


def word_overlap(sentence: str, claim: str) -> float:
    """The share of the checked claim's content words (stems) that the sentence uses."""
    claim_words = set(content_polarity(claim))
    return len(claim_words & set(content_polarity(sentence))) / max(len(claim_words), 1)


def opposite_polarity(sentence: str, claim: str) -> bool:
    """Whether the sentence negates what the claim leaves plain, or the other way round, over their shared words:
    at least half of the shared content words differ in negation."""
    in_sentence, in_claim = content_polarity(sentence), content_polarity(claim)
    shared = set(in_sentence) & set(in_claim)
    if not shared:
        return False
    differ = sum(in_sentence[w] != in_claim[w] for w in shared)
    return differ * 2 >= len(shared)


def cue_words(text: str, vocabulary: frozenset[str], besides: str = "") -> list[str]:
    """The words of `vocabulary` in `text` that `besides` (the checked claim) does not use, in order."""
    have = set(_tokens(besides))
    return [w for w in dict.fromkeys(_tokens(text)) if w in vocabulary and w not in have]


@dataclass
class DecisionSettings:
    threshold: float = 0.95
    min_cosine: float = 0.75
    min_overlap: float = 0.5
    max_unrelated: float = 0.5
    min_agree: float = 0.5


@dataclass
class Decision:
    kind: str | None  # MATCH, REFUTES, REPORTS, or None: nothing to show
    stance: str
    stance_probability: float
    probabilities: dict[str, float]
    overlap: float
    reasons: list[str] = field(default_factory=list)

    def data(self) -> dict[str, object]:
        return {"decision": self.kind or "none", "stance": self.stance,
                "stance_probability": round(self.stance_probability, 4),
                "stance_probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
                "word_overlap": round(self.overlap, 3), "reasons": self.reasons}


def decide(sentence: str, claim: str, score: float, cosine: float, stance_probabilities: Sequence[float],
           attributed_to: str | None, settings: DecisionSettings | None = None) -> Decision:
    """The finding (sentence, checked claim) gives, from the retrieval score and cosine, the stance model's four
    probabilities of the pair, and who the sentence is attributed to in the article (None: the article's voice)."""
    settings = settings or DecisionSettings()
    probabilities = {label: float(p) for label, p in zip(STANCES, stance_probabilities)}
    stance = max(probabilities, key=probabilities.get)
    overlap = word_overlap(sentence, claim)

    def decision(kind: str | None, *reasons: str) -> Decision:
        return Decision(kind, stance, probabilities[stance], probabilities, overlap, list(reasons))

    if score < settings.threshold:
        return decision(None, f"retrieval probability {score:.2f} < {settings.threshold}")
    if cosine < settings.min_cosine:
        return decision(None, f"cosine {cosine:.2f} < {settings.min_cosine}")
    if overlap < settings.min_overlap:
        return decision(None, f"shares {overlap:.0%} of the claim's words (< {settings.min_overlap:.0%})")
    if probabilities["unrelated"] > settings.max_unrelated:
        return decision(None, f"stance model: unrelated {probabilities['unrelated']:.2f}")
    refuting = cue_words(sentence, REFUTING_WORDS, besides=claim)
    if opposite_polarity(sentence, claim):
        return decision(REFUTES, "negated where the checked claim is not (or the other way round)")
    if refuting:
        return decision(REFUTES, f"calls it untrue: {', '.join(refuting)}")
    if stance == "disagree":
        return decision(REFUTES, f"stance model: disagree {probabilities['disagree']:.2f}")
    reporting = cue_words(sentence, REPORTING_WORDS, besides=claim)
    if attributed_to:
        return decision(REPORTS, f"attributed to {attributed_to}")
    if reporting:
        return decision(REPORTS, f"reported: {', '.join(reporting)}")
    if probabilities["agree"] >= settings.min_agree:
        return decision(MATCH, f"asserted in the article's voice; stance model: agree {probabilities['agree']:.2f}")
    return decision(None, f"stance model: {stance} {probabilities[stance]:.2f}, not clearly asserted")
