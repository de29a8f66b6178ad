"""The memory budget, enforced (symbptt/limits.py)."""
from __future__ import annotations

import resource
import subprocess
import sys

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
    at import (symbolic/backend.py), so glibc does not abort the process. In a fresh
    process: pytest's freed heap would be reused for a minute before the limit bites."""
    code = (
        "import symengine as se\n"
        "from symbptt.symbolic import backend\n"
        "from symbptt.limits import memory_limit\n"
        "xs = se.symbols('a0:30')\n"
        "try:\n"
        "    with memory_limit(32 * 2 ** 20):\n"
        "        se.expand((sum(xs) + 1) ** 8)\n"
        "except MemoryError:\n"
        "    print('MemoryError', backend.SYMENGINE.name)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "MemoryError symengine"
