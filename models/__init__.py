"""Trained model files, their model cards, and the training/export code.

The ONNX files here are the runtime's models; the training code (``train.py``)
needs the optional ``train`` extra and is never imported at run time.
"""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL_NAME = "hardhat-yolo11n.onnx"


def default_model_path() -> Path:
    """The model every command uses when ``--model`` is not given."""
    return MODELS_DIR / DEFAULT_MODEL_NAME
