"""Find a model by name or path: a zoo model (zoo.py) or a model file (modelfile.py).

Above both: the zoo knows only its factories, the model-file loader only the zoo's names
(a file may not take one); what a name or a path means is decided here, once.
"""
from __future__ import annotations

import os

from .errors import UnknownModel
from .spec import ModelSpec
from .zoo import names, zoo_model


def get_model(name: str) -> ModelSpec:
    """A zoo model by name, or a user-defined one from a model file (a path to .toml)."""
    spec = zoo_model(name)
    if spec is not None:
        return spec
    if name.endswith(".toml") or os.path.isfile(name):
        from .modelfile import load
        return load(name).spec
    raise UnknownModel(f"unknown model {name!r}; known models: {', '.join(names())}")
