"""ONNX sessions: the device setting, checked at once; threads that sleep rather than spin; no growing arena."""

from __future__ import annotations

import pytest

from sourcetrace._ml import onnx as ml_onnx
from sourcetrace.errors import ConfigurationError


def test_cpu_is_the_default_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ml_onnx.DEVICE_VARIABLE, raising=False)
    assert ml_onnx.device() == "cpu"
    assert ml_onnx.execution_providers() == ["CPUExecutionProvider"]


def test_an_unknown_device_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ml_onnx.DEVICE_VARIABLE, raising=False)
    with pytest.raises(ConfigurationError, match="--device 'tpu': the device is one of cpu, cuda"):
        ml_onnx.use_device("tpu")
    monkeypatch.setenv(ml_onnx.DEVICE_VARIABLE, "tpu")
    with pytest.raises(ConfigurationError, match="one of cpu, cuda"):
        ml_onnx.device()


def test_cuda_runs_on_the_cuda_provider_or_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    monkeypatch.delenv(ml_onnx.DEVICE_VARIABLE, raising=False)
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        ml_onnx.use_device("cuda")
        assert ml_onnx.execution_providers()[0] == "CUDAExecutionProvider"
        monkeypatch.setenv(ml_onnx.DEVICE_VARIABLE, "cpu")
        return
    with pytest.raises(ConfigurationError, match="onnxruntime-gpu"):
        ml_onnx.use_device("cuda")
    assert ml_onnx.device() == "cpu"  # a refused device leaves the process on the CPU


def test_sessions_do_not_spin(monkeypatch: pytest.MonkeyPatch) -> None:
    from sourcetrace._ml.weights import minilm_int8_path

    monkeypatch.delenv("SOURCETRACE_ONNX_SPINNING", raising=False)
    session = ml_onnx.onnx_session(minilm_int8_path(), threads=2)
    entries = session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
    assert entries == "0"
    assert session.get_session_options().enable_cpu_mem_arena is False
