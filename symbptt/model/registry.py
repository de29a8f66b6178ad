"""Find a model by name or path: a zoo model (zoo.py) or a model file (modelfile.py).

Above both: the zoo knows only its factories, the model-file loader only the zoo's names
(a file may not take one); what a name or a path means is decided here, once.
"""
from __future__ import annotations

import os
import warnings

from ..errors import SymbpttError, UnknownModel
from .spec import ModelSpec
from .zoo import models, names, zoo_model


def get_model(name: str) -> ModelSpec:
    """A zoo model by name, or a user-defined one from a model file (a path to .toml)."""
    spec = zoo_model(name)
    if spec is not None:
        return spec
    if name.endswith(".toml") or os.path.isfile(name):
        from .modelfile import load
        return load(name).spec
    raise UnknownModel(f"unknown model {name!r}; known models: {', '.join(names())}")


def load_model(model, stacklevel: int = 3) -> ModelSpec:
    """A zoo model by name, or a model file (its warnings, such as a parameter declared
    but never used, as Python warnings, `stacklevel` frames up)."""
    if isinstance(model, ModelSpec):
        return model
    if not isinstance(model, str):
        raise SymbpttError(f"a model is a zoo name, a model file or a ModelSpec, got "
                           f"{type(model).__name__}")
    if model in {s.name for s in models()}:
        return get_model(model)
    from .modelfile import load
    if model.endswith(".toml") or os.path.isfile(model):
        loaded = load(model)
        for message in loaded.warnings:
            warnings.warn(message, stacklevel=stacklevel)
        return loaded.spec
    return get_model(model)
