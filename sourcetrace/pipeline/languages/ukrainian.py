"""Ukrainian words without pymorphy3's Ukrainian dictionary.

The dictionary (`pymorphy3-dicts-uk`) is GPL-3 data, so it is an optional extra (`pip install
'sourcetrace[uk-dictionary]'`). Without it (or with `SOURCETRACE_UK_DICTIONARY=off`), `UkrainianWordLists` stands
in for `pymorphy3.MorphAnalyzer(lang="uk")` with the part of that interface the backbone and the stages read
(`parse(word)`: analyses with `.tag.POS`, `.tag.grammemes`, `.tag.case`, `.tag.number`, `.tag.tense`,
`.normal_form`, `.inflect()`; `word_is_known(word)`), built from the project's own word lists:

- verbs: the forms of the attribution cue verbs (`cue_verbs.uk` of the attribution lexicon) made from each
  infinitive by the regular conjugation (past: заявив, заявила, заявило, заявили; present third person for the
  imperfective patterns: повідомляє, повідомляють, наголошує, передає; reflexive: йдеться, повідомляється),
  finite with their tense; the infinitive itself as an infinitive;
- closed-class words (pronouns, prepositions, conjunctions, particles, common adverbs) with their part of speech;
- nouns of the attribution lexicon (channel nouns, anonymous heads) in their regular case forms (у заяві ->
  заява);
- person names: the given names below in their cases (the nominative tagged as in the dictionary, `Name`),
  surnames by their endings (`Surn`: Зеленський, Шевченко, Кулеба is not found this way);
- a lower-case word with a finite verb's ending (-ував, -ився, -или, -ує, -ються, -ить, -ають ...): a verb in
  that tense whose lemma is the word itself;
- every other word: a noun whose lemma is the lower-cased word form (approximate: "словами" stays "словами").

`inflect` makes the cases of given names, surnames and nouns by the regular declension only (Харків ->
Харкові, Миколаїв -> Миколаєва, Зеленський -> Зеленського), so gazetteer names whose words are adjectives
("Велика Британія") are matched as listed only, and a surname in the genitive after a consonant ("Шефіра") keeps
its ending in the speaker's name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

DICTIONARY_SETTING = "SOURCETRACE_UK_DICTIONARY"
NO_DICTIONARY_WARNING = ("Ukrainian lemmas, parts of speech and name tags are approximate: pymorphy3's Ukrainian "
                         "dictionary (GPL-3 data) is not installed; pip install 'sourcetrace[uk-dictionary]' "
                         "for the exact ones")


def dictionary_enabled() -> bool:
    """Whether pymorphy3's Ukrainian dictionary is installed and not turned off (`SOURCETRACE_UK_DICTIONARY` set to
    off, 0, no or false hides it, as if it were not installed)."""
    import importlib.util

    if os.environ.get(DICTIONARY_SETTING, "").strip().lower() in ("off", "0", "no", "false"):
        return False
    return importlib.util.find_spec("pymorphy3_dicts_uk") is not None


@dataclass(frozen=True)
class WordTag:
    POS: str | None
    grammemes: frozenset[str] = frozenset()
    case: str | None = None
    number: str | None = None
    tense: str | None = None


@dataclass(frozen=True)
class WordParse:
    word: str
    normal_form: str
    tag: WordTag = field(default_factory=lambda: WordTag(None))
    paradigm: str = ""  # "noun", "given", "surname": how `inflect` makes the other cases; "": it makes none

    def inflect(self, grammemes: Iterable[str]) -> WordParse | None:
        """This word in the case named in `grammemes` by its paradigm's regular declension; None where the
        paradigm has no such form."""
        case = next((g for g in grammemes if g in _CASES), None)
        form = _paradigm(self.normal_form, self.paradigm).get(case or "")
        if form is None:
            return None
        return WordParse(form, self.normal_form, WordTag(self.tag.POS, (self.tag.grammemes - _CASES) | {case},
                                                         case=case), self.paradigm)


_CASES = frozenset({"nomn", "gent", "datv", "accs", "ablt", "loct"})


def _paradigm(lemma: str, paradigm: str) -> dict[str, str]:
    """case -> form of a lower-cased lemma: a given name, a surname (by its ending) or a noun (a place: Харків,
    Миколаїв, Україна, Росія)."""
    forms: dict[str, str] = {}
    if paradigm == "given":
        for form, case in _given_name_forms(lemma).items():
            forms.setdefault(case, form)
        forms.setdefault("accs", forms.get("gent", lemma))  # a person: the accusative is the genitive
    elif paradigm == "surname":
        lemma_ending = max((e for _, e, _ in _SURNAME_SUFFIXES if lemma.endswith(e)), key=len, default=None)
        if lemma_ending is not None:
            stem = lemma[: len(lemma) - len(lemma_ending)]
            for ending, of_lemma, case in _SURNAME_SUFFIXES:
                if of_lemma == lemma_ending:
                    forms.setdefault(case, stem + ending)
            forms.setdefault("accs", forms.get("gent", lemma))
    elif paradigm == "noun":
        if lemma.endswith(("ів", "їв")):  # Харків: Харкова, Харкові; Миколаїв: Миколаєва
            stem = lemma[:-2] + ("о" if lemma.endswith("ів") else "є") + "в"
            forms = {"nomn": lemma, "gent": stem + "а", "datv": stem + "у", "accs": lemma, "ablt": stem + "ом",
                     "loct": stem + "і"}
        elif lemma.endswith("ія"):  # Росія: Росії, Росію, Росією
            stem = lemma[:-1]
            forms = {"nomn": lemma, "gent": stem + "ї", "datv": stem + "ї", "accs": stem + "ю", "ablt": stem + "єю",
                     "loct": stem + "ї"}
        elif lemma.endswith("а"):  # Україна: України, Україні, Україну, Україною
            for form, case in _noun_forms(lemma).items():
                forms.setdefault(case, form)
            if "datv" in forms:
                forms["loct"] = forms["datv"]
        elif lemma[-1:].isalpha() and lemma[-1:] not in "аеєиіїоуюяйь":  # Бахмут: Бахмута, Бахмуті
            forms = {"nomn": lemma, "gent": lemma + "а", "datv": lemma + "у", "accs": lemma, "ablt": lemma + "ом",
                     "loct": lemma + "і"}
    return forms


# (part of speech, words)
_CLOSED_CLASS: tuple[tuple[str, str], ...] = (
    ("PREP", "в у на з із зі зо до від од для про за під піді над наді між через після перед переді без по при "
            "щодо біля серед протягом замість крім окрім навколо довкола коло поза понад проти внаслідок згідно "
            "відповідно попри вздовж всередині"),
    ("CONJ", "і й та а але проте однак зате що щоб як якщо коли бо адже тому тож або чи ані ні ніж хоча хоч "
            "поки доки немов ніби наче мов оскільки якби тобто"),
    ("PRCL", "не ні же ж лише лиш тільки навіть саме б би хай нехай ось от аж також теж вже уже ще"),
    ("NPRO", "я ти він вона воно ми ви вони мене мені мною тебе тобі тобою його йому ним ньому її їй нею ній нас "
            "нам нами вас вам вами їх їм ними них себе собі собою хто кого кому ким що чого чому чим ніхто ніщо "
            "хтось щось дехто дещо"),
    # demonstrative and possessive pronouns: the dictionary's NPRO too, so they end a name's run of nouns
    ("NPRO", "цей ця це ці цього цієї цих цьому цій цим цими той та те ті того тієї тих тому тій тим тими "
            "який яка яке які якого якої яких якому якій яким якими свій своя своє свої свого своєї своїх "
            "своєму своїй своїм своєю своїми весь вся все усе всі усі всього всієї всіх кожен кожна кожне "
            "інший інша інше інші такий така таке такі мій моя моє мої наш наша наше наші ваш ваша ваше ваші "
            "їхній їхня їхнє їхні"),
    ("ADVB", "тут там де куди звідки тоді зараз тепер нині сьогодні вчора завтра раніше пізніше потім згодом "
            "дуже більше менше найбільше майже зокрема водночас наприклад втім досі ніколи завжди часто вкрай "
            "також знову вже ще досить"),
)
# endings of finite verbs that few other words have (a noun plural such as "канали" ends in -али, so -али and
# -ала are not here); a word of five letters or more with one of them reads as a verb in that tense
_FINITE_ENDINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ував", "ював", "увала", "ювала", "ували", "ювали", "увало", "ився", "илася", "илося", "илися", "ався",
      "алася", "алося", "алися", "ився", "івся", "ілася", "ілися", "ило", "или", "ила"), "past"),
    (("ує", "ують", "ює", "юють", "ється", "ються", "иться", "яться", "ить", "ає", "ають", "яє", "яють"), "pres"),
)
# perfective cue verbs with no unprefixed partner in the lexicon
_PERFECTIVE = frozenset({"підсумувати", "пообіцяти"})
_PERSON_PRONOUNS = frozenset("я ти він вона воно ми ви вони".split())

# common Ukrainian given names (nominative); their case forms are made by `_given_name_forms`
GIVEN_NAMES = frozenset("""
Андрій Антон Арсеній Артем Богдан Борис Вадим Валентин Валерій Василь Віктор Віталій Владислав Володимир
В'ячеслав В’ячеслав Геннадій Григорій Данило Денис Дмитро Євген Іван Ігор Олег Олександр Олексій Максим
Микола Михайло Назар Олесь Павло Петро Роман Руслан Сергій Станіслав Степан Тарас Юрій Ярослав Кирило Леонід
Костянтин Анатолій Віталій Георгій Давид Ілля Марко Мирослав Орест Остап Святослав Тимофій Федір Філіп Яків
Вікторія Ганна Анна Олена Ірина Катерина Людмила Марія Наталія Наталя Ольга Оксана Світлана Тетяна Юлія Яна
Дарина Іванна Ірина Лариса Мар'яна Мар’яна Надія Ніна Олександра Софія Соломія Уляна Христина Галина
Інна Алла Віра Валентина Зоя Лілія Людмила Маргарита Поліна Раїса Тамара Анастасія Єлизавета Антоніна
Джо Дональд Емманюель Олаф Ріші Урсула Жозеп Єнс Марк Антоніу Реджеп Еммануель Бенʼямін Камала Ентоні
""".split())

_SURNAME_SUFFIXES = (
    # (ending of the word, ending of its lemma, case)
    ("ського", "ський", "gent"), ("ському", "ський", "datv"), ("ським", "ський", "ablt"), ("ський", "ський", "nomn"),
    ("цького", "цький", "gent"), ("цькому", "цький", "datv"), ("цьким", "цький", "ablt"), ("цький", "цький", "nomn"),
    ("ської", "ська", "gent"), ("ській", "ська", "datv"), ("ською", "ська", "ablt"), ("ська", "ська", "nomn"),
    ("енка", "енко", "gent"), ("енку", "енко", "datv"), ("енком", "енко", "ablt"), ("енко", "енко", "nomn"),
    ("чука", "чук", "gent"), ("чуку", "чук", "datv"), ("чуком", "чук", "ablt"), ("чук", "чук", "nomn"),
    ("юка", "юк", "gent"), ("юку", "юк", "datv"), ("юком", "юк", "ablt"), ("юк", "юк", "nomn"),
    ("ука", "ук", "gent"), ("уку", "ук", "datv"), ("уком", "ук", "ablt"), ("ук", "ук", "nomn"),
    ("овича", "ович", "gent"), ("овичу", "ович", "datv"), ("овичем", "ович", "ablt"), ("ович", "ович", "nomn"),
    ("івни", "івна", "gent"), ("івні", "івна", "datv"), ("івною", "івна", "ablt"), ("івна", "івна", "nomn"),
    ("ова", "ов", "gent"), ("ову", "ов", "datv"), ("овим", "ов", "ablt"), ("ов", "ов", "nomn"),
    ("іна", "ін", "gent"), ("іну", "ін", "datv"), ("іним", "ін", "ablt"), ("ін", "ін", "nomn"),
)
_PATRONYMIC_ENDINGS = ("ович", "евич", "йович", "івна", "ївна")


def _given_name_forms(name: str) -> dict[str, str]:
    """Case forms of a given name -> case ("Володимира" -> gent), by the regular declension."""
    forms = {name: "nomn"}
    if name.endswith("ій"):
        stem = name[:-2]
        forms.update({stem + "ія": "gent", stem + "ію": "datv", stem + "ієм": "ablt"})
    elif name.endswith(("о",)) and len(name) > 3:
        stem = name[:-1]
        forms.update({stem + "а": "gent", stem + "у": "datv", stem + "ові": "datv", stem + "ом": "ablt"})
    elif name.endswith("а"):
        stem = name[:-1]
        soft = stem[-1:] in "жчшщ"
        forms.update({stem + ("і" if soft else "и"): "gent", stem + "у": "accs",
                      stem + ("ею" if soft else "ою"): "ablt"})
        if stem[-1:] not in "кгх":  # Ольга: Ользі
            forms[stem + "і"] = "datv"
    elif name.endswith("я"):
        stem = name[:-1]
        forms.update({stem + "ї": "gent", stem + "ю": "accs", stem + "єю": "ablt"})
    elif name.endswith("ь"):  # Василь: Василя, Василю, Василем
        stem = name[:-1]
        forms.update({stem + "я": "gent", stem + "ю": "datv", stem + "ем": "ablt"})
    elif name[-1:].isalpha() and name[-1:] not in "аеєиіїоуюя" and len(name) > 3:
        forms.update({name + "а": "gent", name + "у": "datv", name + "ові": "datv", name + "ом": "ablt"})
    return forms


def _verb_forms(infinitive: str, perfective: bool = False) -> dict[str, str]:
    """Finite forms of a verb made from its infinitive by the regular conjugation -> tense (past, pres; futr for
    the present-tense forms of a perfective verb: прокоментує)."""
    reflexive = infinitive.endswith("ся")
    base = infinitive[:-2] if reflexive else infinitive
    forms: dict[str, str] = {}
    if base == "йти":
        past = ["йшов", "йшла", "йшло", "йшли"]
        present = ["йде"] if reflexive else ["йде", "йдуть"]
    elif base.endswith("сти"):  # розповісти: розповів, розповіла
        stem = base[:-3]
        past = [stem + "в", stem + "ла", stem + "ло", stem + "ли"]
        present = []
    elif base.endswith("ти"):
        stem = base[:-2]
        past = [stem + "в", stem + "ла", stem + "ло", stem + "ли"]
        # present: third person singular and plural, first person singular and plural
        if stem.endswith(("ува", "юва")):  # наголошувати: наголошує, наголошують, наголошую, наголошуємо
            present = [stem[:-2] + ending for ending in ("є", "ють", "ю", "ємо")]
        elif stem.endswith("ава"):  # передавати: передає, передають, передаю, передаємо
            present = [stem[:-2] + ending for ending in ("є", "ють", "ю", "ємо")]
        elif stem.endswith("иса"):  # писати: пише, пишуть, пишу, пишемо
            present = [stem[:-2] + ending for ending in ("ше", "шуть", "шу", "шемо")]
        elif stem.endswith(("я", "а")) and not stem.endswith("аза"):  # повідомляти: повідомляє; вважати: вважає
            present = [stem + ending for ending in ("є", "ють", "ю", "ємо")]
        elif stem == "говори":
            present = ["говорить", "говорять", "говорю", "говоримо"]
        else:
            present = []  # -ити: mostly perfective here, whose present-tense form is the future
    else:
        return forms
    for word in past:  # заявив, висловився
        forms[word + ("ся" if reflexive else "")] = "past"
    for word in present:  # повідомляє, повідомляється, повідомляються, говориться
        if reflexive and word.endswith(("ю", "у", "мо")):
            continue  # a first-person reflexive form: not in news
        forms[word + ("" if not reflexive else "ся" if word.endswith("ть") else "ться")] = (
            "futr" if perfective else "pres")
    return forms


def _noun_forms(lemma: str) -> dict[str, str]:
    """Case forms of a noun by the regular declension (заява -> заяви, заяві, заяву, заявою); the forms a
    consonant change would alter (представник -> представнику, not представникі) are left out."""
    forms = {lemma: "nomn"}
    if " " in lemma:
        return forms
    velar = lemma[-2:-1] in ("к", "г", "х")
    if lemma.endswith(("ння", "ття", "’я", "'я")):
        forms.update({lemma[:-1] + "ю": "datv", lemma + "м": "ablt", lemma[:-1] + "і": "loct"})
    elif lemma.endswith("ія"):
        stem = lemma[:-1]
        forms.update({stem + "ї": "gent", stem + "ю": "accs", stem + "єю": "ablt"})
    elif lemma.endswith("а"):
        stem = lemma[:-1]
        soft = stem[-1:] in "жчшщ"
        forms.update({stem + ("і" if soft else "и"): "gent", stem + "у": "accs",
                      stem + ("ею" if soft else "ою"): "ablt"})
        if not velar:
            forms[stem + "і"] = "datv"
    elif lemma.endswith("я"):
        stem = lemma[:-1]
        forms.update({stem + "і": "gent", stem + "ю": "accs", stem + "ею": "ablt"})
    elif lemma.endswith("о"):
        stem = lemma[:-1]
        forms.update({stem + "а": "gent", stem + "у": "datv", stem + "ом": "ablt"})
        if not velar:
            forms[stem + "і"] = "loct"
    elif lemma.endswith("ець"):
        stem = lemma[:-3] + "ц"
        forms.update({stem + "я": "gent", stem + "ю": "datv", stem + "ем": "ablt", stem + "і": "nomn"})
    return forms


def _apostrophe_variants(word: str) -> list[str]:
    return sorted({word, word.replace("’", "'"), word.replace("'", "’"), word.replace("'", "ʼ").replace("’", "ʼ")})


class UkrainianWordLists:
    """A stand-in for pymorphy3's Ukrainian analyser built from word lists (see the module's docstring)."""

    def __init__(self, cue_infinitives: Iterable[str], nouns: Iterable[str], known_names: Iterable[str] = ()) -> None:
        self._words: dict[str, list[WordParse]] = {}
        for pos, words in _CLOSED_CLASS:
            for word in words.split():
                grammemes = {"pers"} if word in _PERSON_PRONOUNS else set()
                self._add(word, WordParse(word, word, WordTag(pos, frozenset(grammemes))))
        infinitives = sorted(set(cue_infinitives))
        for infinitive in infinitives:
            self._add(infinitive, WordParse(infinitive, infinitive, WordTag("INFN")))
            # a prefixed verb beside its unprefixed one is the perfective (прокоментувати: коментувати)
            perfective = infinitive in _PERFECTIVE or any(
                infinitive.endswith(other) and len(infinitive) > len(other) + 1 for other in infinitives)
            # a perfective verb beside its imperfective in -вати (додати: додавати): "додає" is the imperfective's
            forms = _verb_forms(infinitive, perfective)
            if any(other.startswith(infinitive[:-3]) and other.endswith("вати") and len(other) > len(infinitive)
                   for other in infinitives):
                forms = {form: tense for form, tense in forms.items() if tense == "past"}
            for form, tense in forms.items():
                self._add(form, WordParse(form, infinitive, WordTag("VERB", frozenset({tense}), tense=tense)))
        for lemma in nouns:
            for form, case in _noun_forms(lemma).items():
                if form not in self._words:
                    self._add(form, WordParse(form, lemma, WordTag("NOUN", frozenset({case}), case=case)))
        self._given: dict[str, tuple[str, str]] = {}
        for name in GIVEN_NAMES:
            for form, case in _given_name_forms(name).items():
                self._given.setdefault(form.lower(), (name.lower(), case))
        self._known = set(self._words) | set(self._given) | {w.lower() for w in known_names}

    def _add(self, word: str, parse: WordParse) -> None:
        for variant in _apostrophe_variants(word):
            self._words.setdefault(variant, []).append(parse)

    def word_is_known(self, word: str) -> bool:
        return word.lower() in self._known

    def parse(self, word: str) -> list[WordParse]:
        lower = word.lower()
        result = list(self._words.get(lower, []))
        given = self._given.get(lower)
        if given is not None:
            lemma, case = given
            result.insert(0, WordParse(word, lemma, WordTag("NOUN", frozenset({"Name", "anim", case}), case=case),
                                       "given"))
        elif word[:1].isupper() and not word.isupper():
            surname = next(((ending, lemma_ending, case) for ending, lemma_ending, case in _SURNAME_SUFFIXES
                            if lower.endswith(ending) and len(lower) > len(ending) + 2), None)
            if surname is not None:
                ending, lemma_ending, case = surname
                lemma = lower[: len(lower) - len(ending)] + lemma_ending
                result.insert(0, WordParse(word, lemma, WordTag("NOUN", frozenset({"Surn", "anim", case}),
                                                                case=case), "surname"))
            elif lower.endswith(_PATRONYMIC_ENDINGS):
                result.insert(0, WordParse(word, lower, WordTag("NOUN", frozenset({"Patr", "anim", "nomn"}),
                                                                case="nomn")))
        if not result and word.islower() and len(lower) >= 5:
            tense = next((t for endings, t in _FINITE_ENDINGS if lower.endswith(endings)), None)
            if tense is not None:  # a verb by its ending; its lemma is unknown
                result.append(WordParse(word, lower, WordTag("VERB", frozenset({tense}), tense=tense)))
        if not result:  # read as a noun in the nominative, its own lemma
            result.append(WordParse(word, lower, WordTag("NOUN", frozenset({"nomn"}), case="nomn"), "noun"))
        return result


@functools.lru_cache(maxsize=1)
def word_lists() -> UkrainianWordLists:
    """The stand-in analyser over the attribution lexicon's Ukrainian cue verbs and nouns and the gazetteer's
    Ukrainian names (known words, not surnames)."""
    from sourcetrace.stages.attribution.cyrillic.rules import lexicon
    from sourcetrace.stages.entities.cyrillic import read_names

    lex = lexicon()
    # the gazetteer's places and organisations are known words; its people ("Дмитро Кулеба", "Кулеба") are not,
    # so that their surnames read as surnames
    names = [word for forms in read_names().values()
             if not any(form.split()[0] in GIVEN_NAMES for form in forms.get("uk", []))
             for form in forms.get("uk", []) for word in form.split()]
    nouns = sorted(lex.channel_nouns | lex.anonymous_heads | {"слово", "дані", "інформація", "думка", "оцінка",
                                                             "повідомлення", "версія"})
    return UkrainianWordLists(lex.cue_verbs["uk"], nouns, names)
