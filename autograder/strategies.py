"""Hypothesis strategies for the plumbing unit: the shapes of nets a student's code must handle."""
from __future__ import annotations

import string

from hypothesis import strategies as st


def widths(max_value: int = 24) -> st.SearchStrategy[int]:
    """A layer width: 1 to ``max_value`` units (shrinks towards 1)."""
    return st.integers(min_value=1, max_value=max_value)


def hidden_layers(max_depth: int = 3, max_width: int = 24) -> st.SearchStrategy[list[int]]:
    """The ``hidden`` argument: 0 to ``max_depth`` hidden widths (shrinks towards no hidden layer)."""
    return st.lists(widths(max_width), min_size=0, max_size=max_depth)


def in_units() -> st.SearchStrategy[int]:
    """An input size for ``in_units``: 1 to 100 features."""
    return st.integers(min_value=1, max_value=100)


def prefixes() -> st.SearchStrategy[str]:
    """A block prefix such as ``net_`` or ``m2x_``: a lowercase identifier ending with an underscore.

    Built from ``sampled_from`` rather than ``text()``, so Hypothesis needs no character database on disk.
    """
    first = st.sampled_from(string.ascii_lowercase)
    rest = st.lists(st.sampled_from(string.ascii_lowercase + string.digits), max_size=6)
    return st.builds(lambda head, tail: head + "".join(tail) + "_", first, rest)


def layer_groups(max_layers: int = 4) -> st.SearchStrategy[list[list[dict]]]:
    """Dense layer specs split into the groups passed to successive ``add(*blocks)`` calls."""
    layer = st.fixed_dictionaries({"units": widths(12), "activation": st.sampled_from([None, "relu", "tanh"])})
    return st.lists(st.lists(layer, min_size=1, max_size=2), min_size=1, max_size=max_layers)
