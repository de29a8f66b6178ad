"""Where the shipped examples are, installed or in a checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def examples_dir() -> Path:
    return Path(str(resources.files("symbptt") / "examples"))


def models_dir() -> Path:
    """symbptt/examples/models: the example model files (your own cell)."""
    return examples_dir() / "models"
