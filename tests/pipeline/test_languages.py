"""The Russian and Ukrainian backbones: offline models from PyPI packages, a spaCy Doc with every character."""

import pytest

from sourcetrace.pipeline.languages.cyrillic import load_cyrillic, natasha_data, split

RUSSIAN = ("  Заголовок статьи\n\n«Мы не видим оснований для беспокойства», — заявил пресс-секретарь президента РФ "
           "Дмитрий Песков.  По словам пресс-секретаря президента РФ Дмитрия Пескова, переговоры продолжатся.\n")
UKRAINIAN = ("Про це заявив речник Повітряних сил ЗСУ Юрій Ігнат. За словами Володимира Зеленського, у Харкові "
             "м'ясо подорожчало.\nДрузі! Міністерство оборони України повідомляє.")


def test_natasha_ships_its_models_in_the_wheel():
    data = natasha_data()
    for name in ("emb/navec_news_v1_1B_250K_300d_100q.tar", "model/slovnet_ner_news_v1.tar",
                 "model/slovnet_morph_news_v1.tar", "model/slovnet_syntax_news_v1.tar"):
        assert (data / name).stat().st_size > 1_000_000, name


def test_russian_doc_keeps_every_character_and_has_a_parse_lemmas_and_names():
    doc = load_cyrillic("ru")(RUSSIAN)
    assert doc.text == RUSSIAN
    assert [s.text.strip() for s in doc.sents] == [
        "Заголовок статьи",
        "«Мы не видим оснований для беспокойства», — заявил пресс-секретарь президента РФ Дмитрий Песков.",
        "По словам пресс-секретаря президента РФ Дмитрия Пескова, переговоры продолжатся."]
    said = next(t for t in doc if t.text == "заявил")
    assert said.lemma_ == "заявить"
    assert any(c.dep_ == "nsubj" and c.text == "пресс-секретарь" for c in said.children)
    assert {(e.text, e.label_) for e in doc.ents} >= {("Дмитрий Песков", "PERSON"), ("Дмитрия Пескова", "PERSON")}
    assert next(t for t in doc if t.text == "Пескова").lemma_ == "Песков"
    assert next(t for t in doc if t.text == "Мы").lemma_ == "мы"  # only names keep their capital


def test_ukrainian_doc_has_sentences_lemmas_and_dictionary_names():
    doc = load_cyrillic("uk")(UKRAINIAN)
    assert doc.text == UKRAINIAN
    assert len(list(doc.sents)) == 4
    assert "м'ясо" in [t.text for t in doc]  # the apostrophe stays inside the word
    assert next(t for t in doc if t.text == "заявив").lemma_ == "заявити"
    assert {(e.text, e.label_) for e in doc.ents} == {
        ("ЗСУ", "ORG"), ("Юрій Ігнат", "PERSON"), ("Володимира Зеленського", "PERSON")}


def test_every_sentence_is_one_tree():
    doc = load_cyrillic("ru")("Для этого их и заморозили, отметил политолог Живов. Второе предложение.")
    assert [s.text.strip() for s in doc.sents] == ["Для этого их и заморозили, отметил политолог Живов.",
                                                   "Второе предложение."]


@pytest.mark.parametrize("text", ["", "   \n\n ", "—", "123 456", "\n«»\n"])
def test_odd_texts_keep_their_characters(text):
    for language in ("ru", "uk"):
        assert load_cyrillic(language)(text).text == text


def test_a_long_run_without_full_stops_is_cut():
    text = " ".join(["слово"] * 600)
    assert all(len(s.tokens) <= 250 for s in split(text, "ru"))


def test_a_line_that_continues_the_one_before_is_one_sentence():
    text = ("«Київський режим планує атакувати»\n, – заявив представник міноборони рф.\n"
            "Очільник розвідки Кирило Буданов \nзаявив\n, що загарбники хотіли.\nНовий рядок.\nЗаголовок\nТекст.")
    sentences = [text[s.tokens[0][0]:s.tokens[-1][1]] for s in split(text, "uk")]
    assert sentences == ["«Київський режим планує атакувати»\n, – заявив представник міноборони рф.",
                         "Очільник розвідки Кирило Буданов \nзаявив\n, що загарбники хотіли.", "Новий рядок.",
                         "Заголовок", "Текст."]


def test_verbs_carry_their_form_and_names_in_the_nominative_are_their_own_lemma():
    doc = load_cyrillic("ru")("Шоумен Валдис Пельш заявил, комментируя замену.")
    assert next(t for t in doc if t.text == "Пельш").lemma_ == "Пельш"
    assert "Conv" in next(t for t in doc if t.text == "комментируя").morph.get("VerbForm")
    ukrainian = load_cyrillic("uk")("Він заявив, що прийде, коментуючи рішення.")
    assert "Fin" in next(t for t in ukrainian if t.text == "заявив").morph.get("VerbForm")


def test_natasha_model_files_are_the_checked_ones(tmp_path):
    from sourcetrace.errors import ConfigurationError
    from sourcetrace.pipeline.languages.cyrillic import check_natasha_models

    check_natasha_models(natasha_data())  # the installed wheel's files pass
    (tmp_path / "emb").mkdir()
    (tmp_path / "emb/navec_news_v1_1B_250K_300d_100q.tar").write_bytes(b"not the embeddings")
    with pytest.raises(ConfigurationError, match="not the model file"):
        check_natasha_models(tmp_path)
