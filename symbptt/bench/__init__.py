"""symbptt bench: speed and memory, measured in one run beside a reference.

One module a part: proofs (symbolic proof times beside plain SymPy, gated cells
unrolled, the inductive certificates), numeric (the engine beside torch), check (what a
check costs, against its cost model), custom (your own cell, a model file) and derive
(the NumPy code derive generates, beside the engine); child
runs one of them in a child process with a time limit.
"""
