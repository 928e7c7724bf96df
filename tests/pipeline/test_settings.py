"""Stage settings from files and shipped profiles (`--config`, `--profile`)."""

import json

import pytest
from typer.testing import CliRunner

from sourcetrace import analyze
from sourcetrace.cli import app
from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.settings import load_config, load_profile, merge_configs, profile_names
from tests.conftest import EXAMPLE_ARTICLE

runner = CliRunner()


def test_unknown_stage_in_a_settings_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("attribution:\n  tagger: false\nattributions:\n  tagger: false\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"mine\.yaml:3: unknown stage 'attributions'"):
        load_config(path)


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("attribution:\n  tagger: false\n factchecks: [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_config(path)


def test_options_must_be_a_mapping(tmp_path):
    path = tmp_path / "flat.json"
    path.write_text(json.dumps({"factchecks": 0.7}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="options of stage 'factchecks' must be a mapping"):
        load_config(path)


def test_later_settings_win_option_by_option():
    fast = load_profile("fast")
    merged = merge_configs(fast, {"attribution": {"tagger": True}, "factchecks": {"threshold": 0.7}})
    assert merged["attribution"] == {"tagger": True}
    assert merged["factchecks"] == {"rerank": False, "threshold": 0.7}
    assert merged["techniques"] == {"model": False}
    assert "fast" in profile_names()


def test_fast_profile_keeps_every_layer_without_the_minilm_passes():
    text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    analysis = analyze(text, published="2022-10-05", config=load_profile("fast"))
    models = analysis.meta.models
    assert "(no tagger)" in models["attribution"]
    assert models["techniques"] == "rules" and "techniques_encoder" not in models
    assert "(no minilm)" in models["checkworthiness"]
    # the ranker alone still finds the quote, the statement and the anonymous sources relayed to TASS
    speakers = {a.speaker.name for a in analysis.attributions if a.speaker is not None and a.speaker.name}
    assert "Viktor Hrebenko" in speakers and "Ukrainian General Staff" in speakers
    assert any(a.channel is not None and a.channel.text == "TASS" for a in analysis.attributions)
    assert all(t.source == "rule" for t in analysis.techniques)
    assert any(c.checkworthiness is not None for c in analysis.claims)
    assert analysis.framing, "framing markers do not depend on a model"


def test_cli_refuses_a_bad_settings_file_before_reading_inputs(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("techniqes:\n  model: false\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(tmp_path / "absent.txt"), "--config", str(path)])
    assert result.exit_code == 2
    assert "typo.yaml:1: unknown stage 'techniqes'" in result.output
    assert "absent.txt" not in result.output


def test_cli_unknown_profile_lists_the_known_ones():
    result = runner.invoke(app, ["analyze", str(EXAMPLE_ARTICLE), "--profile", "fastest"])
    assert result.exit_code == 2
    assert "unknown profile 'fastest'; known: balanced, fast" in result.output


def test_balanced_profile_runs_the_minilm_techniques_model():
    text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    assert load_profile("balanced") == {"techniques": {"model_dir": "techniques_minilm"}}
    models = analyze(text, published="2022-10-05", config=load_profile("balanced")).meta.models
    default = analyze(text, published="2022-10-05").meta.models
    assert models["techniques"] == "ptc-cnn-lr-8" and "MiniLM" in models["techniques_encoder"]
    assert default["techniques"] != models["techniques"] and "mpnet" in default["techniques_encoder"]
    assert models["attribution"] == default["attribution"]  # every other model as in the default


def test_a_misspelt_stage_option_is_refused_naming_the_stage_option_and_the_known_ones():
    from sourcetrace.pipeline.run import Pipeline

    with pytest.raises(ConfigurationError, match=r"stage 'attribution': unknown option 'taggr' \(known: "
                                                 r"author_voice, model, model_path, prefer_rules, tagger\)"):
        Pipeline(["backbone", "attribution"], {"attribution": {"taggr": False}})


def test_a_settings_file_with_a_wrong_option_type_names_its_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("claims: {min_tokens: 3}\nfactchecks:\n  top_k: many\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"mine.yaml:2: stage 'factchecks': option 'top_k': input should "
                                                 r"be a valid integer.*found 'many'"):
        load_config(path)


def test_every_builtin_stage_declares_typed_settings_and_its_layers():
    from sourcetrace.pipeline.registry import StageSettings, registered_stages, stage_contract
    from sourcetrace.pipeline.run import DEFAULT_STAGES

    registered_stages()
    for name in DEFAULT_STAGES:
        contract = stage_contract(name)
        assert contract.settings is not None and issubclass(contract.settings, StageSettings), name
        assert contract.assigns, name
        assert name == "backbone" or contract.requires == ("backbone",), name


def test_the_shipped_profiles_pass_the_typed_settings():
    from sourcetrace.pipeline.settings import load_profile, profile_names

    for name in profile_names():
        assert load_profile(name)
