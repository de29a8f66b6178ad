"""symbptt derive: the BPTT equations of a cell at matrix level, derived and proven.

equations: a model's cell as equations of the formula language (a zoo model's sit next
to its rule table); rules: reverse mode at matrix level, one rule a kind of operation;
algebra: sums of matrix products, simplified to the notes' form; derivation: the
recursion of every state, its base case, the adjoints of the named quantities, every
gradient, the Jacobian and the closed form; proof: each formula fed back to check;
views: text, LaTeX and JSON.
"""
