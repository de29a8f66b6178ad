"""The memory budget, enforced (symbptt/limits.py)."""
from __future__ import annotations

import resource

import pytest

from symbptt.limits import data_bytes, memory_limit


def test_past_the_budget_is_a_memory_error_and_the_limit_is_put_back():
    before = resource.getrlimit(resource.RLIMIT_DATA)
    assert data_bytes() > 0
    with pytest.raises(MemoryError):
        with memory_limit(64 * 2 ** 20):
            bytearray(512 * 2 ** 20)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    with memory_limit(64 * 2 ** 20):
        bytearray(16 * 2 ** 20)         # within it: fine


def test_a_symengine_expansion_past_the_budget_raises_too():
    """std::bad_alloc becomes MemoryError; the first C++ exception's state is allocated
    at import (symbolic/backend.py), so glibc does not abort the process."""
    import symengine as se

    from symbptt.symbolic import backend
    assert backend.SYMENGINE.name == "symengine"   # its import threw the first C++ exception
    xs = se.symbols("a0:30")
    with pytest.raises(MemoryError):
        with memory_limit(32 * 2 ** 20):
            se.expand((sum(xs) + 1) ** 8)
