"""The numeric side: a hand-written NumPy BPTT engine. It never imports SymPy or
SymEngine, so that agreeing with the symbolic side means something."""
