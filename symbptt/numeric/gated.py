"""The gated cells (gru, gru_torch, lstm) and the attention RNN as NumPy rule tables."""
from __future__ import annotations

GATED: dict = {}
