"""Shared private helpers of the stages: ONNX sessions, the MiniLM embedder, linear models, text utilities and
the checked weight files of installed packages."""
