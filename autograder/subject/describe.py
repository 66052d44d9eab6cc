"""Describing what student code made or returned, as plain data, without trusting it: every unit's probes use these."""
from __future__ import annotations

import numpy as np
from mxnet import nd


def qualified(cls) -> str:
    """``module.QualName`` of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


def type_names(obj) -> list[str]:
    """Qualified names of the classes ``obj`` is an instance of (its MRO)."""
    return [qualified(cls) for cls in type(obj).__mro__]


def call_text(name: str, kwargs: dict) -> str:
    """How a call looks in the notebook, e.g. ``build_mlp(hidden=(3,), num_outputs=2)``."""
    shown = ", ".join(f"{key}={tuple(value) if isinstance(value, list) else value!r}" for key, value in kwargs.items())
    return f"{name}({shown})"


def written_methods(cls) -> list[str]:
    """The methods ``cls`` has from classes written outside MXNet (the student's own code), sorted."""
    own = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith(("mxnet.", "builtins")):
            own |= {key for key, value in vars(klass).items() if callable(value)}
    return sorted(own)


def as_plain_value(value) -> dict:
    """A value returned by student code, described without trusting it (no __eq__, __int__ or __float__ of its own)."""
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if type(value) is int or isinstance(value, np.integer):
        return {"kind": "int", "value": int(value)}
    if type(value) is float or isinstance(value, np.floating):
        return {"kind": "float", "value": float(value)}
    if isinstance(value, nd.NDArray):
        return {"kind": "NDArray", "value": value.asnumpy()}
    return {"kind": type(value).__name__, "value": None}
