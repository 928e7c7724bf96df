"""Stage `attribution`: who says what, through whom. Adds the `attributions` layer.

For every statement an article reports, an `Attribution` with evidence spans:
- `source`, `cue`, `content` (content may be discontinuous: `Span.fragments`), found on the spaCy parse by
  the trained model (`learned.py`: linear classifiers that pick cue words, then the source and
  the content among the parse's candidates; weights in `sourcetrace/data/models/attribution/`). Without the
  weights (or with `{"model": false}`), parse rules alone find them (`attribution_rules.RuleExtractor`, the
  rule baseline).
- `source_kind`: named_person, named_organization (also metonyms such as "Moscow"), anonymous ("Russian
  sources", "officials"), pronoun (resolved: `speaker` is the last compatible named speaker), author (a
  sentence that asserts something with no attribution: source and cue null, content the sentence).
- `speaker`: normalised name plus role from titles and appositions; later mentions ("Marochko said") link to
  the first full mention.
- `channel`: the outlet or medium ("relayed to Sputnik", "told Reuters", "said in a statement", "on Telegram").
- `quote_kind`: direct (the content is a quotation), mixed (partly quoted), indirect; author-voice items are
  "indirect".
- `parent`: the attribution whose content encloses this one's cue (nested chains).
- Follow-on quotes (a quoted paragraph with no cue after a quoted speaker) continue that speaker: source and
  cue null, `speaker` and `source_kind` carried over.
- Interviews: an "A:" line (source the mark, cue the colon) is the words of the person the introduction names
  most; a "Q:" line is the interviewer's, the outlet's own voice (`source_kind` author).
- Records as sources: "..., campaign finance records show", "payroll data showed that ..." (`source_kind` other).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from sourcetrace._ml.text import trim
from sourcetrace.analysis import Attribution, Span, Speaker, stable_id
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.attribution.author_voice import author_voice
from sourcetrace.stages.attribution.cyrillic import CYRILLIC, CyrillicAttribution
from sourcetrace.stages.attribution.learned import MODEL_FILE, LearnedExtractor
from sourcetrace.stages.attribution.person_gender import (
    Gender,
    first_name_genders,
    name_genders,
    pronoun_gender,
    speaker_gender,
)
from sourcetrace.stages.attribution.resolver import (
    GENERIC_BODY_HEADS,
    ArticleMentions,
    Mention,
    is_first_person,
    unnamed_body_kind,
)
from sourcetrace.stages.attribution.rules import (
    GROUP_PRONOUNS,
    PERSON_PRONOUNS,
    Candidate,
    Describer,
    Lexicon,
    RuleExtractor,
    doc_facts,
    has_finite_verb,
    overlaps,
    quote_regions,
    subtree_range,
)
from sourcetrace.stages.attribution.tagger import TAGGER_FILE, AttributionTagger, TopLayersTagger, load_tagger


class AttributionExtractor:
    name = "attribution"

    def __init__(self, settings: AttributionSettings | Mapping[str, Any] | None = None) -> None:
        settings = AttributionSettings.of(settings, "attribution")
        self.settings = settings
        self.lexicon = Lexicon()
        self.rules = RuleExtractor(self.lexicon)
        self.describer = Describer(self.lexicon)
        self.author_voice = settings.author_voice
        self.cyrillic = CyrillicAttribution(settings.author_voice)  # Russian and Ukrainian: rules of their own
        first_name_genders(), name_genders()  # read the first-name table now, not inside the first article's analysis
        self.learned: LearnedExtractor | None = None
        model_file = Path(settings.model_path) if settings.model_path else MODEL_FILE
        if model_file.is_dir():  # a model folder: its model.json (with model.npz and tagger.onnx beside it)
            model_file = model_file / MODEL_FILE.name
        if settings.model and model_file.exists():
            self.learned = LearnedExtractor(model_file, prefer_rules=settings.prefer_rules)
        # the MiniLM token tagger whose probabilities the stacked ranker reads (`{"tagger": false}`: ranker alone)
        self.tagger: AttributionTagger | TopLayersTagger | None = None
        tagger_file = model_file.parent / TAGGER_FILE
        if self.learned is not None and self.learned.stack is not None and settings.tagger:
            if tagger_file.exists():
                self.tagger = load_tagger(tagger_file)
        # the layers of the shared MiniLM pass the tagger reads: the pipeline runs that pass after the parse
        self.shared_layers: tuple[int, ...] = (
            self.tagger.shared_layers if isinstance(self.tagger, TopLayersTagger) else ())

    def models(self) -> dict[str, str]:
        if self.learned is None:
            return {"attribution": "rules"}
        if self.learned.stack is not None and self.tagger is None:
            return {"attribution": self.learned.version.replace("+minilm-tagger", "") + " (no tagger)"}
        return {"attribution": self.learned.version}

    def process(self, documents: Sequence[Document]) -> None:
        self.cyrillic.process([d for d in documents if d.analysis.article.language in CYRILLIC])
        documents = [d for d in documents if d.analysis.article.language not in CYRILLIC]
        parsed = [document for document in documents if document.doc is not None]
        tagged = None
        if isinstance(self.tagger, TopLayersTagger):
            tagged = [self.tagger.document_probabilities(d) for d in parsed]
        elif self.tagger is not None and parsed:
            tagged = self.tagger.token_probabilities([d.doc for d in parsed])
        for position, document in enumerate(parsed):
            # the backbone parsed document.text, and spaCy keeps every character: it is doc.text
            candidates = self.rules.candidates(document.doc, document.text)
            colon_lines = self.rules.colon_lines(document.doc, document.text)
            if self.learned is not None:
                tags = tagged[position] if tagged is not None else None
                candidates = self.learned.candidates(
                    document.doc, quote_regions(document.text), candidates, tags, text=document.text,
                    enclosing=[line.content_extent for line in colon_lines])
            # a colon line encloses what its own words attribute ("Warren: I Still Think ..."): those stay
            candidates += [c for c in colon_lines
                           if not any(_touches(c, other) and not _nested_in(other, c) for other in candidates)]
            candidates = _with_dash_lines(candidates, self.rules.dash_lines(document.doc, document.text,
                                                                           self.describer))
            candidates = _with_records(candidates, self.rules.records_show(document.doc, document.text))
            candidates = _with_interview_lines(candidates, self.rules.interview_lines(document.text))
            candidates = [_passive_reporter(document.doc, document.text, _without_leading_clause(document.doc, c))
                          for c in candidates
                          if not self._event_cue(document.doc, c) and not _anonymity_request(document.text, c)]
            candidates = self._channels_apart(document.doc, candidates)
            document.analysis.attributions.extend(self.describe(document, candidates))

    def _event_cue(self, doc: Any, candidate: Candidate) -> bool:
        """Whether the cue is a physical event ("Russia attacked Ukraine with 90 missiles", "troops seized the
        town"), not a speech act: such verbs are cues only when they take words ("attacked Clinton's remarks",
        a quotation, "shot back", "struck down")."""
        if candidate.cue is None:
            return False
        span = doc.char_span(*candidate.cue, alignment_mode="expand")
        if span is None:
            return False
        verb = next((t for t in span if t.pos_ == "VERB"), None)
        if verb is None or verb.lemma_.lower() not in self.lexicon.event_verbs:
            return False
        if any(c.dep_ == "prt" for c in verb.children):
            return False
        text = doc_facts(doc).text
        content = " ".join(text[a:b] for a, b in candidate.content)
        if any(mark in content for mark in ("\"", "“", "”")):
            return False
        if verb.lemma_.lower() in self.lexicon.event_verbs_always:
            return True
        military = self.lexicon.military_nouns
        for child in verb.children:
            if child.dep_ in ("nsubj", "nsubjpass"):
                # "Russia attacked", "troops seized": a country or an armed force acts
                if child.ent_type_ == "GPE" or child.lemma_.lower() in military:
                    return True
            elif child.dep_ in ("dobj", "prep", "npadvmod", "advcl"):
                for token in child.subtree:
                    if token.ent_type_ in ("GPE", "LOC", "FAC", "CARDINAL", "QUANTITY") or \
                            token.lemma_.lower() in military:
                        return True
        return False

    def _channels_apart(self, doc: Any, candidates: list[Candidate]) -> list[Candidate]:
        """"..., Peskov said, according to RIA Novosti": one attribution, speaker Peskov, channel RIA Novosti
        (not a second one whose source is the outlet)."""
        text = doc_facts(doc).text
        dropped: set[int] = set()
        for position, relayed in enumerate(candidates):
            if relayed.source is None or relayed.cue is None:
                continue
            if not text[relayed.cue[0]:relayed.cue[1]].lower().startswith("according"):
                continue
            source_text = text[relayed.source[0]:relayed.source[1]].strip()
            if re.sub(r"^the\s+", "", source_text.lower()) not in self.lexicon.outlets:
                continue
            for other in candidates:
                if other is relayed or other.source is None or other.cue is None or other.cue == relayed.cue:
                    continue
                start, end = relayed.content_extent
                inside = start <= other.cue[0] < end or start <= other.source[0] < end
                overlap = any(a < d and c < b for a, b in relayed.content for c, d in other.content)
                if inside or overlap:
                    other.extras["channel"] = relayed.source
                    dropped.add(position)
                    break
        return [c for i, c in enumerate(candidates) if i not in dropped]

    # --- from candidates to the layer ------------------------------------------------------------------
    def describe(self, document: Document, candidates: list[Candidate]) -> list[Attribution]:
        doc, text, article_id = document.doc, document.text, document.analysis.article.id
        candidates = sorted(candidates, key=lambda c: (c.cue or c.content[0])[0])
        regions = quote_regions(text)
        known: list[Speaker] = []  # named speakers so far, for "Marochko said" and "he said"
        kinds: dict[str, str] = {}
        genders: dict[str, Gender | None] = {}  # "he" / "she" can only stand for a speaker of that gender
        mentions = ArticleMentions(doc, text, regions, self.lexicon,
                                   speech_subjects=[c.source for c in candidates if c.source])
        result: list[Attribution] = []
        interview_start = min((c.content[0][0] for c in candidates if c.extras.get("interview")), default=None)
        # the person an interview is with: the one its introduction names most (once per article)
        interviewee = mentions.main_person(interview_start) if interview_start is not None else None
        for candidate in candidates:
            content = Span.of_fragments(text, candidate.content)
            source = Span.of(text, *candidate.source) if candidate.source else None
            cue = Span.of(text, *candidate.cue) if candidate.cue else None
            kind, speaker = "other", None
            if candidate.extras.get("interview") == "answer":
                if interviewee is not None:
                    speaker = self._speaker_of(text, interviewee, "interview", known, kinds, genders)
                    kind = "named_person"
            elif candidate.extras.get("interview") == "question":
                kind = "author"
                speaker = Speaker(name=document.analysis.article.outlet or "the author", resolved_from="author")
            elif candidate.source:
                kind, _, name_span = self.describer.source_kind(doc, candidate.source)
                described = self.describer.speaker(doc, candidate.source, kind, name_span, joint=True)
                speaker = Speaker(name=described[0], role=described[1], resolved_from="name") if described else None
                if kind == "pronoun":
                    answered, antecedent = mentions.pronoun(*candidate.source, exclude=candidate.content)
                    if answered:
                        speaker = self._speaker_of(text, antecedent, "pronoun", known, kinds, genders)
                    else:
                        speaker = _resolve_pronoun(text[candidate.source[0]:candidate.source[1]], known, kinds,
                                                   genders)
                        if speaker is not None:
                            speaker = speaker.model_copy(update={"resolved_from": "pronoun"})
                elif (kind in ("anonymous", "other") and speaker is None) or self._description_named(
                        doc, candidate.source, kind, speaker):
                    speaker = None
                    headline = bool(candidate.extras.get("headline"))
                    named = mentions.surname(*candidate.source) if kind == "other" else None
                    issuer = mentions.issuer(doc, *candidate.source) if named is None else None
                    antecedent = mentions.description(doc, *candidate.source, anywhere=headline) \
                        if issuer is None and named is None else None
                    if named is not None:
                        speaker = self._speaker_of(text, named, "name", known, kinds, genders)
                        kind = "named_person"
                    elif issuer is not None:
                        speaker, kind = Speaker(name=_plain_name(issuer), resolved_from="description"), "other"
                    elif antecedent is not None and self._owned_organisation(doc, candidate.source):
                        # "his campaign": the organisation of the person "his" stands for
                        head = doc_facts(doc).text[candidate.source[0]:candidate.source[1]].split()[-1]
                        owner = antecedent.entity.name.split()[-1]
                        speaker = Speaker(name=f"{owner} {head}", resolved_from="description",
                                          mention=Span.of(text, antecedent.start, antecedent.end))
                        kind = "named_organization"
                    elif antecedent is not None:
                        speaker = self._speaker_of(text, antecedent, "headline" if headline else "description",
                                                   known, kinds, genders)
                        kind = antecedent.entity.kind
                    elif kind == "named_person":
                        kind = "other"
                    elif kind == "named_organization" and described and (
                            unnamed := unnamed_body_kind(doc, *candidate.source)):
                        kind = unnamed  # "the company" with no company named: who it is stays open
                    elif kind == "named_organization" and described:
                        speaker = Speaker(name=described[0], role=described[1], resolved_from="description")
                elif speaker is not None:
                    expanded = (mentions.expanded_acronym(speaker.name) or mentions.outlet_full_name(speaker.name)
                                if kind == "named_organization" else None)
                    if expanded is not None:  # "the AP": "Associated Press", "Fox": "Fox News"
                        speaker = speaker.model_copy(update={"name": _plain_name(expanded)})
                    entity = mentions.entity_at(*candidate.source)
                    if entity is not None and entity.outlet and kind == "named_person":
                        kind = "named_organization"  # "The Daily Courier reported"
                    elif entity is not None and entity.kind == "named_person" and not entity.plural and \
                            kind == "named_organization" and text[slice(*candidate.source)].lower() == entity.key:
                        # "Guardian said" after "Mayor Don Guardian": the mayor, not the newspaper
                        kind = "named_person"
                    earlier = _same_speaker(speaker, known, kinds)
                    if earlier is None and kind == "named_person":
                        # "Hrebenko said" after "Col. Viktor Hrebenko, a spokesman for ..." outside any attribution
                        earlier = self._full_mention(doc, speaker, candidate.source[0], regions)
                        if earlier is not None:
                            known.append(earlier)
                            kinds[earlier.name] = kind
                    if earlier is not None:
                        speaker = earlier
                        kind = kinds.get(earlier.name, kind)
                    else:
                        known.append(speaker)
                        kinds[speaker.name] = kind
                    if kind == "named_person" and speaker.name not in genders:
                        genders[speaker.name] = speaker_gender(
                            speaker.name, text[candidate.source[0]:candidate.source[1]], speaker.role,
                            self.lexicon.male_words, self.lexicon.female_words)
            elif candidate.extras.get("follow_on") is not None:
                previous = candidate.extras["follow_on"]
                kind, speaker = previous.source_kind, previous.speaker
            if candidate.extras.get("speaker") is not None:
                speaker, kind = candidate.extras["speaker"], candidate.extras.get("speaker_kind", kind)
            if speaker is not None and speaker.resolved_from in ("pronoun", "description") and result and \
                    _answers(text, result[-1], speaker, candidate):
                # "'That would be you?' Borger asked. '...,' the senator said": not Borger, and no one named
                speaker, kind = None, kind if kind == "pronoun" else "other"
            channel_range = candidate.extras.get("channel") or self.describer.channel(doc, candidate)
            if channel_range is not None and source is not None and _same_words(text, channel_range, candidate.source):
                channel_range = None  # an outlet is never its own channel
            attribution = Attribution(
                id=stable_id("attr", article_id, content.start, content.end, cue.start if cue else -1),
                source=source,
                cue=cue,
                content=content,
                channel=Span.of(text, *channel_range) if channel_range else None,
                source_kind=kind,
                # an interview's lines are the words spoken, as a transcript gives them
                quote_kind="direct" if candidate.extras.get("interview") else _quote_kind(text, candidate.content,
                                                                                           regions),
                speaker=speaker,
                score=round(candidate.score, 4) if candidate.score is not None else None,
                statement_kind="declined" if self._declines(doc, candidate) else "statement",
            )
            result.append(attribution)
        _first_person_speakers(result, regions, document.analysis.article.outlet or "the author")
        result.extend(self._follow_on_quotes(document, result, regions))
        if self.author_voice:
            result.extend(self._author_voice(document, result))
        _link_parents(result)
        result.sort(key=lambda a: (a.content.start, a.id))
        return result

    def _speaker_of(self, text: str, antecedent: Mention | None, resolved_from: str, known: list[Speaker],
                    kinds: dict[str, str], genders: dict[str, Gender | None]) -> Speaker | None:
        """The speaker a pronoun or description stands for: the named speaker already met with that name (and
        no other first name or gender: "Mrs. Clinton" is not "Bill Clinton"), else the entity's fullest name;
        `mention` is the antecedent it was resolved to."""
        if antecedent is None:
            return None
        entity = antecedent.entity
        named = Speaker(name=_plain_name(entity.name), role=entity.role_text)

        def compatible(speaker: Speaker) -> bool:
            if entity.plural or kinds.get(speaker.name) != entity.kind or \
                    speaker.name.split()[-1:] != named.name.split()[-1:]:
                return False
            first, other_first = entity.first_name(), speaker.name.split()[0] if " " in speaker.name else None
            if first and other_first and first != other_first:
                return False
            other_gender = genders.get(speaker.name)
            return entity.gender is None or other_gender is None or other_gender == entity.gender

        earlier = next((k for k in reversed(known) if compatible(k)), None)
        base = earlier if earlier is not None else named
        return base.model_copy(update={"resolved_from": resolved_from,
                                       "mention": Span.of(text, antecedent.start, antecedent.end)})

    def _description_named(self, doc: Any, source: tuple[int, int], kind: str, speaker: Speaker | None) -> bool:
        """Whether a source the describer named is a description: a title alone ("Judge rejects ...") or an
        organisation by its common noun alone ("the appeals court")."""
        if speaker is None:
            return False
        if kind == "named_person":
            words = doc_facts(doc).text[source[0]:source[1]].split()
            if words and words[0].lower() in ("the", "a", "an"):
                words = words[1:]
            name = re.sub(r"^(the|a|an)\s+", "", speaker.name.lower()).rstrip(".")
            if len(words) == 1:
                return name in self.lexicon.titles
            # a headline's "Democratic Senator Says ...", "Christian Speaker Shares ...": a role and the words that
            # qualify it, capitalised as the headline is, with no name among them
            span = doc.char_span(*source, alignment_mode="expand")
            roles = self.lexicon.titles | self.lexicon.person_nouns
            return span is not None and span[-1].lower_ in roles and all(
                t.ent_type_ == "NORP" or t.pos_ == "ADJ" or t.lower_ in roles or t.lower_ in ("the", "a", "an")
                for t in span[:-1])
        if kind == "named_organization":
            span = doc.char_span(*source, alignment_mode="expand")
            if span is None:
                return False
            # the head noun phrase only: "the agency, which fell 2,000 pages short" names no organisation
            head = [t for t in span if t.i < next((u.i for u in span if u.text == "," or u.dep_ == "relcl"
                                                   or u.tag_ in ("WDT", "WP", "WP$")), span.end)]
            if span.text.lower() in self.lexicon.outlets or not head:
                return False
            # "a Baton Rouge newspaper": an indefinite article names no one body; nor does a headline's capitalised
            # "Newspaper Says ..." or "Company Says ..." alone
            indefinite = span[0].lower_ in ("a", "an") and span.root.pos_ == "NOUN" and not any(
                t.pos_ == "PROPN" for t in span if t.i > span.root.i)  # not 'a news site called "The Local"'
            common_alone = len(head) == 1 and head[0].lower_ in GENERIC_BODY_HEADS
            return indefinite or common_alone or not any(t.pos_ == "PROPN" or t.ent_type_ for t in head)
        return False

    def _owned_organisation(self, doc: Any, source: tuple[int, int]) -> bool:
        """"his campaign", "her office": a possessive pronoun and an organisation's common noun."""
        words = doc_facts(doc).text[source[0]:source[1]].lower().split()
        return len(words) >= 2 and words[0] in ("his", "her", "their", "its") and \
            words[-1] in self.lexicon.organization_heads

    def _declines(self, doc: Any, candidate: Candidate) -> bool:
        """A refusal to speak ("declined to comment", "did not respond to a request for comment"): a
        non-statement, whatever its content says."""
        if candidate.cue is None:
            return False
        cue_text = doc_text_lower(doc, candidate.cue)
        content_text = " ".join(doc_text_lower(doc, piece) for piece in candidate.content)
        if any(re.search(rf"\b{verb}", cue_text) for verb in self.lexicon.declining_verbs):
            return bool(re.match(r"^(to\s+)?(comment|elaborate|say|discuss|answer|respond|speak|confirm|give)\b",
                                 content_text)) or not content_text
        if re.search(r"\b(not|n't|never)\s+(immediately\s+)?(comment|elaborate)\b", cue_text):
            return True  # "Putin did not comment", "did not elaborate on the figures"
        if re.search(r"\b(not|n't|never)\s+(immediately\s+)?(respond|return|reply|answer)", cue_text):
            return bool(re.match(r"^(to\s+)?(an?\s+|the\s+|repeated\s+|multiple\s+)*"
                                 r"(requests?|calls?|emails?|messages?|inquir|queries|question)", content_text))
        return False

    def _full_mention(self, doc: Any, speaker: Speaker, before: int,
                      regions: Sequence[tuple[int, int]] = ()) -> Speaker | None:
        """The first earlier mention of a person whose full name ends with this speaker's name, described with
        its titles and appositions; None when the article never names them more fully. A mention inside a
        quotation (`regions`) is the quoted speaker's wording ("working Crooked Hillary Clinton"), never the name."""
        words = speaker.name.split()
        for entity in self.describer.entities(doc):
            if entity.start_char >= before:
                break
            if entity.label_ != "PERSON" or len(entity) <= len(words):
                continue
            if any(start <= entity.start_char < end for start, end in regions):
                continue
            root = entity.root
            start = min([entity.start_char] + [c.left_edge.idx for c in root.lefts if c.dep_ == "compound"])
            end = max([entity.end_char] + [subtree_range(c)[1] for c in root.rights if c.dep_ == "appos"])
            described = self.describer.speaker(doc, (start, end), "named_person", entity)
            if described is None:
                continue
            name_words = described[0].split()
            if len(name_words) > len(words) and name_words[-len(words):] == words:
                return Speaker(name=described[0], role=described[1])
        return None

    def _follow_on_quotes(
        self, document: Document, found: list[Attribution], regions: list[tuple[int, int]]
    ) -> list[Attribution]:
        """A quotation paragraph with no cue right after a quoted speaker continues that speaker."""
        text = document.text
        covered = [(a.content.start, a.content.end) for a in found]
        quoted = sorted((a for a in found if a.quote_kind != "indirect" and a.source is not None),
                        key=lambda a: a.content.end)
        extra = []
        for start, end in _paragraph_quotes(text, regions):
            if any(s < end and start < e for s, e in covered):
                continue
            before = [a for a in quoted if a.content.end <= start and start - a.content.end < 400]
            if not before:
                continue
            previous = before[-1]
            piece = trim(text, start, end)
            if piece[1] <= piece[0]:
                continue
            extra.append(Attribution(
                id=stable_id("attr", document.analysis.article.id, piece[0], piece[1], "follow-on"),
                content=Span.of(text, *piece), source_kind=previous.source_kind, quote_kind="direct",
                speaker=previous.speaker,
            ))
            covered.append(piece)
        return extra

    def _author_voice(self, document: Document, found: list[Attribution]) -> list[Attribution]:
        return author_voice(document, found, has_finite_verb, (".", "!", "\"", "”"), skip=SITE_FURNITURE)


# links and buttons a page extraction leaves in the text
SITE_FURNITURE = re.compile(r"^(read more|see also|follow us|subscribe|related)\b", re.IGNORECASE)

def doc_text_lower(doc: Any, piece: tuple[int, int]) -> str:
    return doc_facts(doc).text[piece[0]:piece[1]].strip().lower()


def _plain_name(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("’", "'")).strip()


def _same_words(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    def words(piece: tuple[int, int]) -> list[str]:
        return [w for w in re.findall(r"\w+", text[piece[0]:piece[1]].lower()) if w != "the"]

    return words(first) == words(second)


# how far an answer may start after the question it answers, in characters
_ANSWER_REACH = 400


def _answers(text: str, previous: Attribution, speaker: Speaker, candidate: Candidate) -> bool:
    """Whether `candidate`, with `speaker` resolved from a pronoun or description, is the answer to `previous`, a
    question that speaker asked just before: who answers a question is not who asked it."""
    if previous.speaker is None or previous.speaker.name != speaker.name or candidate.source is None:
        return False
    question = text[previous.content.start:previous.content.end].rstrip(" \"'”’»").endswith("?") or (
        previous.cue is not None and previous.cue.text.lower().split()[0] in ("ask", "asks", "asked", "asking"))
    return question and 0 <= candidate.source[0] - previous.content.end <= _ANSWER_REACH


def _first_person_speakers(attributions: list[Attribution], regions: list[tuple[int, int]], author: str) -> None:
    """"I", "we" inside a quotation speak for whoever the quotation is attributed to; outside quotations
    they are the author's (the outlet's name when the article gives one)."""
    for inner in attributions:
        if inner.source is None or not is_first_person(inner.source.text):
            continue
        enclosing = [outer for outer in attributions if outer is not inner and outer.speaker is not None
                     and outer.content.start <= inner.source.start and inner.source.end <= outer.content.end]
        quoted = any(s <= inner.source.start < e for s, e in regions)
        if enclosing:
            outer = min(enclosing, key=lambda a: a.content.end - a.content.start)
            inner.speaker = outer.speaker.model_copy(update={"resolved_from": "quote"})
        elif not quoted:
            inner.speaker = Speaker(name=author, resolved_from="author")
        else:
            inner.speaker = None


def _with_dash_lines(candidates: list[Candidate], dashed: list[Candidate]) -> list[Candidate]:
    """A dash line's attribution replaces one it overlaps whose cue lies outside its content (a cue in another
    paragraph that swallowed a pull quote); it gives way to one whose cue lies inside ("X said" in the line)."""
    result = list(candidates)
    for line in dashed:
        start, end = line.content_extent
        touching = [c for c in result if _touches(line, c)]
        if any(c.cue is not None and start <= c.cue[0] < end for c in touching):
            continue
        result = [c for c in result if c not in touching]
        result.append(line)
    return result


def _with_interview_lines(candidates: list[Candidate], lines: list[Candidate]) -> list[Candidate]:
    """An interview's question or answer line encloses what its own words attribute ("A: I think ..."); an
    attribution whose cue lies outside the line and that reaches into it took the line for its own and gives way, and
    a source taken from the line's mark is none."""
    result = list(candidates)
    for line in lines:
        start, end = line.content_extent
        result = [c for c in result if not (_touches(line, c) and c.cue is not None and not start <= c.cue[0] < end)]
        for other in result:
            if other.source is not None and overlaps(other.source, line.source):
                other.source = None  # the mark is no one's name ("Q: Does Sanders represent ...")
    return result + lines


def _with_records(candidates: list[Candidate], records: list[Candidate]) -> list[Candidate]:
    """"..., tax records show": each record attribution joins where nothing found touches it, and replaces what
    found its cue ("show") with no source; anything else found there is kept and the record one left out."""
    result = list(candidates)
    for record in records:
        touching = [c for c in result if _touches(record, c)]
        if any(c.source is not None or c.cue is None or not overlaps(c.cue, record.cue) for c in touching):
            continue
        result = [c for c in result if c not in touching]
        result.append(record)
    return result


def _touches(candidate: Candidate, other: Candidate) -> bool:
    """Whether two candidates share any character of cue or content."""
    spans = [*candidate.content, *([candidate.cue] if candidate.cue else [])]
    others = [*other.content, *([other.cue] if other.cue else [])]
    return any(s < e2 and s2 < e for s, e in spans for s2, e2 in others)


def _nested_in(inner: Candidate, outer: Candidate) -> bool:
    """Whether the cue, source and content of `inner` all lie inside `outer`'s content."""
    start, end = outer.content_extent
    pieces = [*inner.content, *([inner.cue] if inner.cue else []), *([inner.source] if inner.source else [])]
    return all(start <= s and e <= end for s, e in pieces)


def _quote_kind(text: str, content: list[tuple[int, int]], regions: list[tuple[int, int]]) -> str:
    start, end = content[0][0], content[-1][1]
    inside = [(s, e) for s, e in regions if s < end and start < e]
    if not inside:
        return "indirect"
    # letters of the content's fragments (not of the "he said" between two of them) outside every quotation
    quoted_at = set()
    for s, e in inside:
        quoted_at.update(range(s, e))
    outside = quoted = 0
    for piece_start, piece_end in content:
        body = text[piece_start:piece_end]
        skip = len(body) - len(re.sub(r"^that\s+", "", body)) if piece_start == start else 0
        for position in range(piece_start + skip, piece_end):
            if text[position].isalnum():
                if position in quoted_at:
                    quoted += 1
                else:
                    outside += 1
    if outside <= 0 or (quoted > 0 and outside <= 4):
        return "direct"
    return "mixed"


def _paragraph_quotes(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Paragraphs that open with a quotation mark (a follow-on quote, possibly with no closing mark)."""
    result = []
    for match in re.finditer(r"(?m)^[ \t]*(?:''|[\"“«]).*$", text):
        result.append((match.start(), match.end()))
    return result


def _resolve_pronoun(pronoun: str, known: list[Speaker], kinds: dict[str, str],
                     genders: dict[str, Gender | None]) -> Speaker | None:
    """The last named speaker the pronoun can stand for: a person for "he"/"she" (not one known to be of the
    other gender), an organisation for "it"/"they"; no one for any other pronoun."""
    word = pronoun.strip().lower()
    wanted = "named_person" if word in PERSON_PRONOUNS else "named_organization" if word in GROUP_PRONOUNS else None
    if wanted is None:
        return None  # "one", "another", "someone": one of a group, no one named
    gender = pronoun_gender(word)
    for speaker in reversed(known):
        kind = kinds.get(speaker.name)
        if gender is not None and (genders.get(speaker.name) not in (None, gender) or " and " in speaker.name):
            continue  # "he" is neither a woman nor "Barack Obama and Angela Merkel"
        if kind == wanted or (word in ("they", "we") and kind == "named_organization"):
            return speaker
    return None


def _passive_reporter(doc: Any, text: str, candidate: Candidate) -> Candidate:
    """"..., as first reported by the New York Times on Tuesday": the one who reported is the source and the
    clause the "as" phrase hangs from is the content, not "by the New York Times"."""
    if candidate.source is not None or candidate.cue is None:
        return candidate
    span = doc.char_span(*candidate.cue, alignment_mode="expand")
    verb = next((t for t in span if t.tag_ == "VBN"), None) if span is not None else None
    agent = next((c for c in verb.children if c.dep_ == "agent"), None) if verb is not None else None
    reporter = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
    # only "as reported by", not "when he was accused by ...", "backed by ..."
    if reporter is None or verb.dep_ != "advcl" or verb.head.pos_ not in ("VERB", "AUX") or not any(
            c.dep_ == "mark" and c.lower_ == "as" for c in verb.children):
        return candidate
    clause_start, clause_end = subtree_range(verb)
    main_start, main_end = subtree_range(verb.head)
    if clause_start > main_start:  # "X happened, as reported by Y"
        content = trim(text, main_start, clause_start)
    else:  # "As reported by Y, X happened"
        content = trim(text, clause_end, main_end)
    if content[1] - content[0] < 10:
        return candidate
    candidate.source = trim(text, *subtree_range(reporter))
    candidate.content = [content]
    return candidate


_ANONYMITY = re.compile(r"(?:asked|requested|spoke|speaking|talked|talking)\b[^.;\"“”]{0,40}?"
                        r"(?:not (?:to )?be (?:named|identified)|anonymity|anonymously)", re.IGNORECASE)


def _anonymity_request(text: str, candidate: Candidate) -> bool:
    """"..., said the woman, who asked not to be named" / "who spoke on condition of anonymity": the terms of the
    source, not a second statement."""
    if candidate.cue is None:
        return False
    return bool(_ANONYMITY.match(text, candidate.cue[0]))


def _without_leading_clause(doc: Any, candidate: Candidate) -> Candidate:
    """A source that opens with a participle clause ("Alarmed by the unrest, Senator Harry Reid, the minority
    leader") starts at the noun phrase after it: who speaks, not why."""
    span = doc.char_span(*candidate.source, alignment_mode="expand") if candidate.source else None
    if span is None or len(span) < 3 or span[0].tag_ not in ("VBN", "VBG") or span[0].dep_ != "advcl":
        return candidate  # not "Leading Democratic senators like ..."
    # the first comma that a name follows closely (a title may come between), however the parser attached it
    for comma in (t for t in span if t.text == ","):
        after = doc[comma.i + 1: min(comma.i + 4, span.end)]
        if any(t.ent_type_ == "PERSON" and t.ent_iob_ == "B" for t in after):
            candidate.source = (max(candidate.source[0], doc[comma.i + 1].idx), candidate.source[1])
            break
    return candidate


def _same_speaker(speaker: Speaker, known: list[Speaker], kinds: dict[str, str]) -> Speaker | None:
    """An earlier speaker this one names again: the same name, or its last words ("Marochko" after "Andrei
    Marochko", "the Post" after "The Washington Post"); an acronym is not a longer organisation that ends with it
    ("SVP" is not "Junge SVP"), and no name is a coordination that ends with it."""
    words = speaker.name.split()
    for earlier in reversed(known):
        if earlier.name == speaker.name:
            return earlier if (earlier.role or not speaker.role) else None
        earlier_words = earlier.name.split()
        if {"and", "&"} & set(earlier_words):
            continue  # "the SVP" is not "Both Blocher and the SVP"
        if not (len(words) < len(earlier_words) and words and earlier_words[-len(words):] == words):
            continue
        if kinds.get(earlier.name) != "named_person" and speaker.name.isupper():
            continue
        return earlier
    return None


def _link_parents(attributions: list[Attribution]) -> None:
    for inner in attributions:
        if inner.cue is None:
            continue
        enclosing = [
            outer for outer in attributions
            if outer is not inner and outer.source_kind != "author"
            and outer.content.start <= inner.cue.start and inner.cue.end <= outer.content.end
            and (outer.cue is None or not (inner.content.start <= outer.cue.start < inner.content.end))
        ]
        if enclosing:
            # the tightest; equal lengths by position, then id, so the parent never depends on list order
            inner.parent = min(enclosing, key=lambda a: (a.content.end - a.content.start, a.content.start, a.id)).id


class AttributionSettings(StageSettings):
    author_voice: bool = Field(True, description="claims outside any attribution are the author's own voice")
    model: bool = Field(True, description="the learned extractor (false: the cue-verb rules alone)")
    model_path: str | None = Field(None, description="another trained attribution model (model.json)")
    prefer_rules: bool = Field(True, description="keep a rule attribution where the learned one disagrees")
    tagger: bool = Field(True, description="the fine-tuned MiniLM token tagger (false: the parse ranker alone)")


@register_stage("attribution", requires=("backbone",), assigns=("attributions",), languages=ENGLISH | CYRILLIC,
                settings=AttributionSettings)
def make_attribution(settings: AttributionSettings) -> AttributionExtractor:
    return AttributionExtractor(settings)
