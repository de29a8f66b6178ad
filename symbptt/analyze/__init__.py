"""analyze: gradient dynamics of a model over long spans (seeds 000, 001, 002).

Each part turns one of the seeds' statements into numbers, proven where it can be:

    jacobians   ||prod_{j=k+1}^T J_j||_2 against the lag, seed 001's bound checked each run
    residual    J = I + diag(phi') W against Elman's diag(phi') W at the same weights
    eigen       a normal W with |lambda| > 1: the component along its eigenvector grows
                like |lambda|^m (the linear RNN's dL/dh_{T-m} = (W^T)^m dL/dh_T)
    orthogonal  an orthogonal W keeps that norm: numerically, and proven for a 2x2
                rotation by a symbolic angle
    truncation  truncated BPTT's bias for h_t = a h_{t-1} + x_t, derived and proven
    randomized  randomized truncation is unbiased (proven over every xi outcome); the
                estimator's exact variance beside a Monte Carlo estimate from the engine
    clip        g~ = min(1, c / ||g||) g on the model's gradient: direction kept, norm capped
    cost        the naive path sum (T (T + 1) / 2 paths) against BPTT, on the engine
    attention   the recurrent and the shortcut path to x_{t-tau} as tau grows

Every part returns plain data (lists and numbers): what --json prints, what the figures
draw, and what the dynamics document shows. Numbers come from the NumPy engine
(symbptt/numeric/dynamics.py, no SymPy) and proofs from symbptt/symbolic/dynamics.py.

settings: what is asked, checked, and the problem every part shares; parts: the parts and
analyze(); views: --json and the text.
"""
