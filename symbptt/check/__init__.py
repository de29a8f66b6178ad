"""symbptt check: is a hand-derived formula right?

The flow: a claim is parsed (formula/), bound to the model's names (bind), evaluated at
one T over exact expressions or floats (claim, algebra) against the quantities of the
unrolled model (quantities, on symbolic/stepgraph), compared side against side (compare),
proven for every T by induction over windows of steps where it can be (frames,
induction), searched past the exact range (search), diagnosed (diagnosis) and reported
(outcome, report). verdict is the verb; claimfile and audit read claims from files.
"""
