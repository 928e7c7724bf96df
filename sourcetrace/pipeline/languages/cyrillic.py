"""Russian and Ukrainian backbones, offline from PyPI packages, each building a spaCy `Doc`.

- Russian: razdel sentences and tokens; slovnet's news morphology tagger, dependency parser and NER (the
  `slovnet_*_news_v1` models and the `navec_news_v1` embeddings shipped inside the `natasha` 1.6.0 wheel, MIT,
  run in numpy); lemmas from pymorphy3 with the OpenCorpora dictionary (`pymorphy3-dicts-ru`), the analysis
  agreeing with slovnet's part of speech chosen.
- Ukrainian: natasha's models are Russian only. razdel sentences and tokens (apostrophes inside a word kept
  in it), part of speech and lemmas from pymorphy3's Ukrainian dictionary (`pymorphy3-dicts-uk`, the first
  analysis: no disambiguation), no dependency parse, and names from the dictionary's name tags and
  capitalisation (`_ukrainian_entities`): persons and places only where the dictionary says so, all-capital
  abbreviations as organisations. The dictionary is GPL-3 data and optional (the `uk-dictionary` extra):
  without it the word lists of `ukrainian.py` stand in for it (cue verb forms, closed-class words, given
  names, surname endings; other lemmas are the lower-cased word) and `warning` says so.

Entity labels follow the English model's (PERSON, GPE, ORG) so that stages read one label set; slovnet's LOC
becomes GPE (its places are mostly countries, regions and cities).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.languages.ukrainian import NO_DICTIONARY_WARNING, dictionary_enabled, word_lists

CYRILLIC = frozenset({"ru", "uk"})

# a sentence longer than this many tokens (a table, a list with no full stop) is cut, as in the English backbone
MAX_SENTENCE_TOKENS = 250
_APOSTROPHES = frozenset("'’ʼ`")
_NATASHA_FILES = {
    "navec": "emb/navec_news_v1_1B_250K_300d_100q.tar",
    "morph": "model/slovnet_morph_news_v1.tar",
    "syntax": "model/slovnet_syntax_news_v1.tar",
    "ner": "model/slovnet_ner_news_v1.tar",
}
# SHA-256 of the model files as shipped in the natasha 1.6.0 wheel (PyPI): any other file is refused
NATASHA_SHA256 = {
    "navec": "f07270833d78523edc5781538d67038e95b43975e4a7ae757c693b687f9cbfca",
    "morph": "54812762a641c742dbfa9c950c4b53bbb469301983077ed01b9f074643d540d3",
    "syntax": "0759ce82eaac4430f5b4ac27b2444aa6e4b6501ca38c2f45d62467265383d85e",
    "ner": "16c3343a6572ddf0e2b2fc1923113de15a7f5ca5bde90e780dd590418665603e",
}
_NER_LABELS = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}

# Universal POS -> the OpenCorpora parts of speech pymorphy3 may give a word with that POS
_OPENCORPORA_POS = {
    "NOUN": {"NOUN"}, "PROPN": {"NOUN"}, "VERB": {"VERB", "INFN", "GRND", "PRTF", "PRTS"},
    "AUX": {"VERB", "INFN"}, "ADJ": {"ADJF", "ADJS", "COMP", "PRTF", "PRTS"}, "ADV": {"ADVB", "COMP", "PRED"},
    "PRON": {"NPRO"}, "DET": {"ADJF", "NPRO"}, "NUM": {"NUMR", "ADJF"}, "ADP": {"PREP"},
    "CCONJ": {"CONJ"}, "SCONJ": {"CONJ"}, "PART": {"PRCL"}, "INTJ": {"INTJ"},
}
_VERB_FORMS = {"VERB": "Fin", "INFN": "Inf", "GRND": "Conv", "PRTF": "Part", "PRTS": "Part"}
_TENSES = {"past": "Past", "pres": "Pres", "futr": "Fut"}
_OPENCORPORA_CASE = {"Nom": "nomn", "Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt", "Loc": "loct",
                     "Voc": "voct", "Par": "gen2"}
_UNIVERSAL_POS = {
    "NOUN": "NOUN", "VERB": "VERB", "INFN": "VERB", "GRND": "VERB", "PRTF": "ADJ", "PRTS": "ADJ", "ADJF": "ADJ",
    "ADJS": "ADJ", "COMP": "ADJ", "ADVB": "ADV", "PRED": "ADV", "NPRO": "PRON", "PREP": "ADP", "CONJ": "CCONJ",
    "PRCL": "PART", "NUMR": "NUM", "INTJ": "INTJ",
}
# OpenCorpora name grammemes as UD's NameType values (given name, surname, patronymic, place, organisation)
_NAME_TYPES = {"Name": "Giv", "Surn": "Sur", "Patr": "Pat", "Geox": "Geo", "Orgn": "Com"}
# all-capital abbreviations that name states, not organisations
_STATE_ABBREVIATIONS = frozenset({"США", "РФ", "КНР", "КНДР", "ОАЕ", "ОАЭ", "ЮАР", "ФРН", "ФРГ", "СРСР", "СССР"})


def natasha_data() -> Path:
    """The folder of model files inside the installed natasha package (found without importing natasha,
    whose import pulls in pymorphy2)."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("the Russian backbone needs the natasha package: pip install natasha==1.6.0")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def check_natasha_models(data: Path) -> None:
    """Refuse model files other than the ones the natasha 1.6.0 wheel ships (`NATASHA_SHA256`)."""
    for name, relative in _NATASHA_FILES.items():
        path = data / relative
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        if digest != NATASHA_SHA256[name]:
            raise ConfigurationError(f"{path}: not the model file of the natasha 1.6.0 wheel (SHA-256 {digest}); "
                                     "pip install --force-reinstall natasha==1.6.0")


@dataclass(frozen=True)
class Sentence:
    start: int
    tokens: list[tuple[int, int]]  # [start, end) of each token in the article text


# a line that continues the one before it: it opens with a comma, a colon, a closing quote or bracket, or a dash
# and a lower-case word (", – заявив ..." after a quotation line in a Telegram post)
_CONTINUATION = re.compile(r"[ \t]*(?:[,;:»)…]|[—–-][ \t]*[a-zа-яёіїєґ])")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Lines; a line that continues the one before it is joined to it, and so is a line of one or two lower-case
    words after a line with no final punctuation, or before the next line (a word set apart by formatting)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    blocks: list[tuple[int, int]] = []
    for start, end in lines:
        if blocks:
            previous = text[blocks[-1][0]:blocks[-1][1]].strip()
            line = text[start:end].strip()
            open_end = previous[-1:] not in ".!?…:»\""
            short_previous = len(previous.split()) <= 2 and open_end and previous[:1].islower()
            short_line = len(line.split()) <= 2 and line[:1].islower() and open_end and line[-1:] not in ".!?…"
            if _CONTINUATION.match(text, start) or short_previous or short_line:
                blocks[-1] = (blocks[-1][0], end)
                continue
        blocks.append((start, end))
    return blocks


def split(text: str, language: str) -> list[Sentence]:
    """Sentences and tokens with their offsets: a line break ends a sentence unless the next line continues it
    (`_blocks`), razdel splits the rest."""
    from razdel import sentenize, tokenize

    sentences: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end].replace("\n", " ")  # same length: offsets hold
        pieces: list[tuple[int, int]] = []
        for piece in sentenize(block):
            lower_fragment = len(piece.text.split()) <= 2 and piece.text[:1].islower()
            if pieces and (_CONTINUATION.match(piece.text) or lower_fragment):
                pieces[-1] = (pieces[-1][0], piece.stop)  # razdel ends a sentence before ", – заявив"
            else:
                pieces.append((piece.start, piece.stop))
        for piece_start, piece_end in pieces:
            base = block_start + piece_start
            tokens = [(base + t.start, base + t.stop) for t in tokenize(block[piece_start:piece_end])]
            tokens = _join_apostrophes(text, tokens)
            for first in range(0, len(tokens), MAX_SENTENCE_TOKENS):
                chunk = tokens[first : first + MAX_SENTENCE_TOKENS]
                if chunk:
                    sentences.append(Sentence(chunk[0][0], chunk))
    return sentences


def _join_apostrophes(text: str, tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """razdel cuts "м'ясо", "В’ячеслав" at the apostrophe; a letter, an apostrophe and a letter with no space
    between them are one word."""
    joined: list[tuple[int, int]] = []
    for start, end in tokens:
        if (len(joined) >= 2 and text[joined[-1][0]:joined[-1][1]] in _APOSTROPHES
                and joined[-1][0] == joined[-2][1] and start == joined[-1][1]
                and text[start].isalpha() and text[joined[-2][1] - 1].isalpha()):
            apostrophe = joined.pop()
            previous = joined.pop()
            joined.append((previous[0], end))
            del apostrophe
            continue
        joined.append((start, end))
    return joined


@dataclass
class TokenInfo:
    pos: str
    lemma: str
    morph: str = ""
    head: int = -1  # index in the sentence; -1: the root
    dep: str = ""


class CyrillicBackbone:
    """Builds a spaCy `Doc` for a Russian or Ukrainian text."""

    def __init__(self, language: str) -> None:
        if language not in CYRILLIC:
            raise ConfigurationError(f"no Cyrillic backbone for language {language!r}")
        import pymorphy3
        import spacy

        self.language = language
        # a problem with the analysis of every article in this language, for meta.warnings
        self.warning: str | None = None
        self.morph_analyzer: Any
        if language == "uk" and not dictionary_enabled():
            self.morph_analyzer = word_lists()
            self.warning = NO_DICTIONARY_WARNING
        else:
            try:
                self.morph_analyzer = pymorphy3.MorphAnalyzer(lang=language)
            except (ValueError, ImportError) as error:
                raise ConfigurationError(
                    f"pymorphy3's {language} dictionary is not installed: pip install pymorphy3-dicts-{language}"
                ) from error
        self.vocab = spacy.blank(language).vocab
        self.tagger: Any = None
        self.parser: Any = None
        self.ner: Any = None
        if language == "ru":
            from navec import Navec
            from slovnet import NER, Morph, Syntax

            data = natasha_data()
            check_natasha_models(data)
            navec = Navec.load(data / _NATASHA_FILES["navec"])
            self.tagger = Morph.load(data / _NATASHA_FILES["morph"], batch_size=8).navec(navec)
            self.parser = Syntax.load(data / _NATASHA_FILES["syntax"], batch_size=8).navec(navec)
            self.ner = NER.load(data / _NATASHA_FILES["ner"], batch_size=8).navec(navec)
        self._lemmas: dict[tuple[str, str], tuple[str, str, str]] = {}

    def version(self) -> str:
        from importlib.metadata import version

        if self.language == "ru":
            return (f"ru_natasha-{version('natasha')} (slovnet news v1 morph/syntax/ner, navec news v1) + "
                    f"pymorphy3-{version('pymorphy3')}")
        if self.warning is not None:
            return f"uk_razdel-{version('razdel')} + word lists (no dictionary: approximate lemmas, no parse)"
        return (f"uk_razdel-{version('razdel')} + pymorphy3-{version('pymorphy3')} + "
                f"pymorphy3-dicts-uk-{version('pymorphy3-dicts-uk')} (dictionary names, no parse)")

    def __call__(self, text: str) -> Doc:
        sentences = split(text, self.language)
        infos = self._ru_tokens(text, sentences) if self.language == "ru" else self._uk_tokens(text, sentences)
        doc = _build_doc(self.vocab, text, sentences, infos)
        if self.language == "ru":
            spans = [(s.start, s.stop, s.type) for s in self.ner(text).spans] if text.strip() else []
        else:
            spans = _ukrainian_entities(text, sentences, self.morph_analyzer)
        doc.ents = _entity_spans(doc, spans)
        return doc

    def pipe(self, texts: Iterable[str]) -> Iterable[Doc]:
        for text in texts:
            yield self(text)

    # --- per language ---------------------------------------------------------------------------------
    def _ru_tokens(self, text: str, sentences: list[Sentence]) -> list[list[TokenInfo]]:
        words = [[text[s:e] for s, e in sentence.tokens] for sentence in sentences]
        result: list[list[TokenInfo]] = []
        for tagged, parsed in zip(self.tagger.map(words), self.parser.map(words)):
            infos = []
            for tag, arc in zip(tagged.tokens, parsed.tokens):
                lemma, pos, morph = self._lemma(tag.text, tag.pos, tag.feats)
                head = int(arc.head_id) - 1
                infos.append(TokenInfo(pos=pos, lemma=lemma, morph=morph, head=head,
                                       dep="ROOT" if head < 0 else arc.rel))
            _one_tree(infos)
            result.append(infos)
        return result

    def _uk_tokens(self, text: str, sentences: list[Sentence]) -> list[list[TokenInfo]]:
        result = []
        for sentence in sentences:
            infos = []
            for start, end in sentence.tokens:
                lemma, pos, morph = self._lemma(text[start:end], None, {})
                if self.warning is not None and infos:
                    lemma, pos, morph = self._family_name(text[start:end], infos[-1], text[slice(*sentence.tokens[
                        len(infos) - 1])], (lemma, pos, morph))
                infos.append(TokenInfo(pos=pos, lemma=lemma, morph=morph))
            result.append(infos)
        return result

    def _family_name(self, word: str, previous: TokenInfo, previous_word: str,
                     analysis: tuple[str, str, str]) -> tuple[str, str, str]:
        """Without the dictionary: a capitalised word the word lists do not know, after a given name in the
        genitive, dative or instrumental, is a surname in that case ("Бориса Шефіра" -> Шефір)."""
        if not (word[:1].isupper() and not word.isupper() and "NameType" not in analysis[2]
                and "NameType=Giv" in previous.morph and previous.lemma.lower() != previous_word.lower()):
            return analysis
        case = next((p.tag.case for p in self.morph_analyzer.parse(previous_word) if "Name" in p.tag.grammemes), None)
        ending = next((e for e in {"gent": ("а",), "datv": ("ові", "у"), "ablt": ("ом",)}.get(case or "", ())
                       if word.lower().endswith(e) and word[-len(e) - 1:-len(e)].lower() not in "аеєиіїоуюяь"), None)
        if ending is None:
            return analysis
        return word[: -len(ending)], "PROPN", _morph_string({"NameType": "Sur"})

    def _lemma(self, word: str, pos: str | None, feats: dict[str, str]) -> tuple[str, str, str]:
        """(lemma, universal POS, morphology string): pymorphy3's analysis whose part of speech agrees with
        `pos` (slovnet's; None: the dictionary's first analysis decides the POS too)."""
        key = (word, pos or "")
        cached = self._lemmas.get(key)
        if cached is None:
            cached = self._lemmas[key] = self._analyse(word, pos, feats)
        return cached

    def _analyse(self, word: str, pos: str | None, feats: dict[str, str]) -> tuple[str, str, str]:
        features = dict(feats)
        if not any(ch.isalpha() for ch in word):
            guessed = pos or ("NUM" if any(ch.isdigit() for ch in word) else "PUNCT" if not word.isspace() else "SPACE")
            return word, guessed, _morph_string(features)
        parses = self.morph_analyzer.parse(word)
        if not parses:
            return word, pos or "X", _morph_string(features)
        capital = word[:1].isupper()
        named = [p for p in parses if set(p.tag.grammemes) & set(_NAME_TYPES)] if capital else []
        if pos is not None:
            wanted = _OPENCORPORA_POS.get(pos, set())
            agreeing = [p for p in parses if p.tag.POS in wanted] or parses
            case = _OPENCORPORA_CASE.get(feats.get("Case", ""))
            if case is not None:  # the tagger's case, when a form is ambiguous ("Олафа": genitive of Олаф)
                agreeing = [p for p in agreeing if p.tag.case == case] or agreeing
            chosen = next((p for p in agreeing if p in named), agreeing[0]) if pos == "PROPN" else agreeing[0]
        else:
            chosen = named[0] if named else parses[0]
            pos = "PROPN" if named else _UNIVERSAL_POS.get(str(chosen.tag.POS), "X")
        name_types = sorted({_NAME_TYPES[g] for p in named for g in p.tag.grammemes if g in _NAME_TYPES})
        if name_types and "NameType" not in features:
            features["NameType"] = ",".join(name_types)
        if pos in ("VERB", "AUX") and "VerbForm" not in features and chosen.tag.POS in _VERB_FORMS:
            features["VerbForm"] = _VERB_FORMS[str(chosen.tag.POS)]
            if chosen.tag.tense in _TENSES:
                features["Tense"] = _TENSES[str(chosen.tag.tense)]
        lemma = chosen.normal_form
        if word.isupper() and len(word) > 1:
            lemma = word
        elif pos == "PROPN" and feats.get("Case") == "Nom":
            lemma = word  # a name the tagger reads as nominative is its own lemma ("Пельш", not "Пельша")
        elif pos == "PROPN":
            lemma = lemma[:1].upper() + lemma[1:]
        return lemma, pos, _morph_string(features)


def _morph_string(features: dict[str, str]) -> str:
    return "|".join(f"{key}={value}" for key, value in sorted(features.items()))


def _one_tree(infos: list[TokenInfo]) -> None:
    """Make a sentence's arcs one tree: the parser's output has, rarely, a token headed by itself or a cycle,
    which spaCy would read as a second sentence; such a token hangs from the sentence's root."""
    roots = [i for i, info in enumerate(infos) if info.head < 0 or info.head == i or info.head >= len(infos)]
    root = roots[0] if roots else 0
    infos[root].head, infos[root].dep = -1, "ROOT"
    for index, info in enumerate(infos):
        if index == root:
            continue
        seen = {index}
        cursor = info.head
        while 0 <= cursor < len(infos) and cursor not in seen and cursor != root:
            seen.add(cursor)
            cursor = infos[cursor].head
        if cursor != root:  # no way up to the root: itself, a cycle or out of range
            info.head = root
            info.dep = "parataxis" if info.dep in ("ROOT", "") else info.dep


def _build_doc(vocab: Any, text: str, sentences: list[Sentence], infos: list[list[TokenInfo]]) -> Doc:
    """A Doc whose text is exactly `text`: a gap between tokens other than one space is a whitespace token,
    attached (dep "dep") to the root of the sentence before it (the first sentence for leading whitespace)."""
    parsed = any(info.dep for sentence in infos for info in sentence)
    # (start, end, sentence number, index in the sentence; -1 for whitespace)
    pieces: list[tuple[int, int, int, int]] = []
    position = 0
    for number, sentence in enumerate(sentences):
        for index, (start, end) in enumerate(sentence.tokens):
            if start > position:
                pieces.append((position, start, max(number - 1, 0) if index == 0 else number, -1))
            pieces.append((start, end, number, index))
            position = end
    if position < len(text):
        pieces.append((position, len(text), max(len(sentences) - 1, 0), -1))
    words: list[str] = []
    spaces: list[bool] = []
    kept: list[tuple[int, int]] = []  # (sentence number, index in the sentence) of each word
    for start, end, number, index in pieces:
        if index < 0 and text[start:end] == " " and words:
            spaces[-1] = True
            continue
        words.append(text[start:end])
        spaces.append(False)
        kept.append((number, index))
    if not sentences:
        return Doc(vocab, words=words, spaces=spaces)
    first = {}
    for position, (number, index) in enumerate(kept):
        if index == 0:
            first[number] = position
    roots = {number: first[number] + next((i for i, info in enumerate(infos[number]) if info.head < 0), 0)
             for number in first}
    pos, lemmas, morphs, heads, deps, starts = [], [], [], [], [], []
    for position, (number, index) in enumerate(kept):
        if index < 0:
            pos.append("SPACE")
            lemmas.append(words[position])
            morphs.append("")
            heads.append(roots[number])
            deps.append("dep")
            starts.append(position == 0)
            continue
        info = infos[number][index]
        pos.append(info.pos)
        lemmas.append(info.lemma)
        morphs.append(info.morph)
        heads.append(first[number] + info.head if info.head >= 0 else roots[number])
        deps.append(info.dep or "ROOT")
        starts.append(index == 0 and (number > 0 or position == 0))
    if parsed:
        return Doc(vocab, words=words, spaces=spaces, pos=pos, lemmas=lemmas, morphs=morphs, heads=heads,
                   deps=deps, sent_starts=starts)
    return Doc(vocab, words=words, spaces=spaces, pos=pos, lemmas=lemmas, morphs=morphs, sent_starts=starts)


def _root_of(heads: list[int], index: int) -> int:
    seen = set()
    while heads[index] != index and index not in seen:
        seen.add(index)
        index = heads[index]
    return index


def _entity_spans(doc: Doc, spans: list[tuple[int, int, str]]) -> list[Any]:
    result = []
    taken: set[int] = set()
    for start, end, label in sorted(spans):
        span = doc.char_span(start, end, label=_NER_LABELS.get(label, label), alignment_mode="expand")
        if span is None or any(token.i in taken for token in span):
            continue
        taken.update(token.i for token in span)
        result.append(span)
    return result


_SURNAME_ENDINGS = ("енко", "ський", "цький", "ська", "цька", "ського", "цького", "ук", "юк", "чук", "ович", "евич",
                    "івна", "ївна", "ишин", "ов", "ова", "ев", "ева", "ін", "іна", "ин", "ина", "ко")


def _ukrainian_entities(text: str, sentences: list[Sentence], analyzer: Any) -> list[tuple[int, int, str]]:
    """Persons: two or three capitalised words, the first a given name (tagged so by the dictionary, or an
    animate noun) and the next a surname or patronymic (tagged so, with a surname ending, or unknown to the
    dictionary), or any capitalised word after a tagged given name ("Віталій Глагола"). All-capital
    abbreviations: organisations (states for a few: США, РФ). Other names are left to the gazetteer (the
    entities stage): the Ukrainian dictionary tags no places, and a capitalised word alone is too often a
    sentence start or a title."""
    found: list[tuple[int, int, str]] = []
    for sentence in sentences:
        run: list[tuple[int, int]] = []
        for start, end in [*sentence.tokens, (len(text), len(text))]:
            word = text[start:end]
            if word.isupper() and len(word) >= 2 and word.isalpha():
                found.extend(_person_run(text, run, analyzer))
                run = []
                found.append((start, end, "LOC" if word in _STATE_ABBREVIATIONS else "ORG"))
                continue
            if word[:1].isupper() and word.replace("-", "").replace("'", "").replace("’", "").isalpha():
                run.append((start, end))
                continue
            found.extend(_person_run(text, run, analyzer))
            run = []
    return found


def _person_run(text: str, run: list[tuple[int, int]], analyzer: Any) -> list[tuple[int, int, str]]:
    for first in range(len(run) - 1):
        given_word, family_word = text[slice(*run[first])], text[slice(*run[first + 1])]
        given = analyzer.parse(given_word)
        family = analyzer.parse(family_word)
        if len(given_word) < 3:
            continue
        # a given name alone vouches for the next word in the nominative only ("Києві" is also the name Кий)
        tagged_given = any("Name" in p.tag.grammemes and p.tag.case == "nomn" for p in given)
        given_like = tagged_given or any(p.tag.POS == "NOUN" and "anim" in p.tag.grammemes for p in given)
        family_like = (any({"Surn", "Patr"} & set(p.tag.grammemes) for p in family)
                       or family_word.lower().endswith(_SURNAME_ENDINGS)
                       or not analyzer.word_is_known(family_word.lower()))
        if (given_like and family_like) or tagged_given:
            last = first + 2 if first + 2 < len(run) and any(
                "Patr" in p.tag.grammemes or "Surn" in p.tag.grammemes
                for p in analyzer.parse(text[slice(*run[first + 2])])) else first + 1
            return [(run[first][0], run[last][1], "PER")]
    return []


_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load(language: str, uk_dictionary: bool) -> CyrillicBackbone:
    with _lock:
        return CyrillicBackbone(language)


def load_cyrillic(language: str) -> CyrillicBackbone:
    """The backbone of one language, loaded once per process (on the first article in that language); the
    Ukrainian one again when the dictionary setting (`SOURCETRACE_UK_DICTIONARY`) changes."""
    return _load(language, language == "uk" and dictionary_enabled())
