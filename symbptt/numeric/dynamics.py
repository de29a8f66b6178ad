"""Gradient dynamics, numerically (seed 001): products of step Jacobians over a lag.

For the Markov cells with one state, J_j = dh_j/dh_{j-1} is written from the forward
pass: W (linear), diag(phi'(a_j)) W (elman), I + diag(phi'(a_j)) W (residual). The
product over j = k+1..T is what carries dL/dh_T back to h_k. Seed 001 bounds it:

    ||prod_{j=k+1}^T J_j||_2 <= prod_j ||diag(phi'(a_j))||_2 ||W||_2 <= (c s)^(T-k)

with s = ||W||_2 and c = max_j ||diag(phi'(a_j))||_2. The bound is submultiplicativity,
so it cannot fail: a violation means a bug, and is raised as one (BoundViolated), never
reported as data. (The residual cell's J is not of that form; its bound uses
||I + diag(phi') W|| <= 1 + c s.) Nothing here imports SymPy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SymbpttError
from .cells.rule import ACTIVATIONS

JACOBIAN_MODELS = ("elman", "residual", "linear_half_square", "d2l_linear")
_W = {"elman": "W", "residual": "W", "linear_half_square": "W_h", "d2l_linear": "W_hh"}
_U = {"elman": "U", "residual": "U", "linear_half_square": "W_x", "d2l_linear": "W_hx"}
TOLERANCE = 1e-9          # relative slack for floating point in the bound check


class BoundViolated(AssertionError):
    """||prod J|| exceeded its bound: impossible mathematically, so a bug here."""


@dataclass(frozen=True)
class ProductSeries:
    """Norms of the Jacobian products against the lag T - k, with both bounds."""
    model: str
    lags: tuple[int, ...]            # T - k = 1..T-1 (0 is the identity, left out)
    norms: tuple[float, ...]         # ||prod_{j=k+1}^T J_j||_2
    slope_bound: tuple[float, ...]   # prod_j ||diag(phi'(a_j))|| ||W|| (or 1 + ... residual)
    cs_bound: tuple[float, ...]      # (c s)^(T-k), or (1 + c s)^(T-k)
    c: float                         # max_j ||diag(phi'(a_j))||_2
    s: float                         # ||W||_2
    rate: float                      # fitted d log||prod|| / d lag (per step)
    bound_rate: float                # log(c s) (log(1 + c s) for the residual cell)


def _phi(model: str, activation: str | None):
    if model in ("linear_half_square", "d2l_linear"):
        return lambda a: a, lambda h: np.ones_like(h)
    return ACTIVATIONS["tanh" if model == "residual" else (activation or "tanh")]


def hidden_path(model: str, P: dict, x: np.ndarray, activation: str | None = None):
    """h_1..h_T and the slopes phi'(a_1..a_T) of one sequence x (T, d), from h_0 = 0."""
    phi, slope = _phi(model, activation)
    W, U = P[_W[model]], P[_U[model]]
    b = P.get("b", np.zeros(W.shape[0]))
    h = np.zeros(W.shape[0])
    hs, slopes = [], []
    for x_t in x:
        a = W @ h + U @ x_t + (b if model in ("elman", "residual") else 0.0)
        out = phi(a)
        slopes.append(slope(out))
        h = h + out if model == "residual" else out
        hs.append(h)
    return np.array(hs), np.array(slopes)


def jacobians(model: str, P: dict, slopes: np.ndarray) -> list[np.ndarray]:
    """J_1..J_T from the slopes of the forward pass."""
    W = P[_W[model]]
    eye = np.eye(W.shape[0])
    if model in ("linear_half_square", "d2l_linear"):
        return [W.copy() for _ in slopes]
    out = [slope[:, None] * W for slope in slopes]           # diag(phi'(a_j)) W
    return [eye + J for J in out] if model == "residual" else out


def _fit_rate(lags, norms) -> float:
    """Least-squares slope of log ||prod|| against the lag (0 when it vanished)."""
    keep = [(lag, n) for lag, n in zip(lags, norms) if n > 0]
    if len(keep) < 2:
        return float("nan")
    x, y = np.array([k[0] for k in keep], float), np.log([k[1] for k in keep])
    return float(np.polyfit(x, y, 1)[0])


def product_series(model: str, P: dict, x: np.ndarray,
                   activation: str | None = None) -> ProductSeries:
    """||prod_{j=k+1}^T J_j||_2 for k = T-1 down to 1, checked against seed 001's bounds."""
    if model not in JACOBIAN_MODELS:
        raise SymbpttError(f"Jacobian products are drawn for {', '.join(JACOBIAN_MODELS)}; "
                           f"{model} has a state the product does not capture alone")
    _, slopes = hidden_path(model, P, x, activation)
    Js = jacobians(model, P, slopes)
    T = len(Js)
    W = P[_W[model]]
    s = float(np.linalg.norm(W, 2))
    slope_norms = [float(np.max(np.abs(sl))) for sl in slopes]   # ||diag(v)||_2 = max |v_i|
    c = max(slope_norms)
    residual = model == "residual"
    step_bound = [(1.0 + c_j * s) if residual else c_j * s for c_j in slope_norms]
    per_step = (1.0 + c * s) if residual else c * s
    lags, norms, tight, loose = [], [], [], []
    prod = np.eye(W.shape[0])
    bound = 1.0
    for k in range(T - 1, 0, -1):                  # prod_{j=k+1}^T, growing to the right
        prod = prod @ Js[k]                        # J_T ... J_{k+1}
        bound *= step_bound[k]
        lag = T - k
        norm = float(np.linalg.norm(prod, 2))
        lags.append(lag)
        norms.append(norm)
        tight.append(bound)
        loose.append(per_step ** lag)
        _check_bound(model, lag, norm, bound, per_step ** lag)
    rate = _fit_rate(lags, norms)
    return ProductSeries(model, tuple(lags), tuple(norms), tuple(tight), tuple(loose), c, s,
                         rate, float(np.log(per_step)) if per_step > 0 else float("-inf"))


def _check_bound(model: str, lag: int, norm: float, tight: float, loose: float) -> None:
    slack = TOLERANCE * max(1.0, tight)
    if norm > tight + slack or tight > loose * (1 + TOLERANCE) + slack:
        raise BoundViolated(
            f"seed 001's bound fails for {model} at lag {lag}: ||prod J|| = {norm!r}, "
            f"prod ||diag(phi')|| ||W|| = {tight!r}, (c s)^lag = {loose!r}; the bound is "
            "submultiplicativity, so this is a bug")


def scaled_weights(W: np.ndarray, kind: str, value: float) -> np.ndarray:
    """W rescaled to a given spectral norm (kind 'norm') or spectral radius ('radius')."""
    if not (np.isfinite(value) and value > 0):
        raise SymbpttError(f"a spectral {kind} must be a positive number, got {value}")
    current = float(np.linalg.norm(W, 2)) if kind == "norm" else \
        float(np.max(np.abs(np.linalg.eigvals(W))))
    if current == 0:
        raise SymbpttError("W is zero: it has no spectral norm or radius to rescale")
    return W * (value / current)


def orthogonal(n: int, seed: int) -> np.ndarray:
    """A random orthogonal n×n matrix (QR of a Gaussian, signs fixed so it is uniform)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


# ---- exploding along an eigenvector, the residual cell, clipping (seed 001) ---------------

@dataclass(frozen=True)
class EigenGrowth:
    """The component of (W^T)^m g along W's top eigenvector, against m."""
    eigenvalue: float                # the top eigenvalue (W normal: real here, symmetric W)
    steps: tuple[int, ...]           # m = 0..M
    components: tuple[float, ...]    # |v^T (W^T)^m g|
    rate: float                      # fitted d log|component| / dm
    predicted: float                 # log|lambda|


def normal_matrix(n: int, top: float, seed: int) -> np.ndarray:
    """A symmetric (so normal) n×n W with eigenvalues top, then a spread in (-1, 1)."""
    if not (np.isfinite(top) and top > 0):
        raise SymbpttError(f"a spectral radius must be a positive number, got {top}")
    q = orthogonal(n, seed)
    rest = np.linspace(-0.8, 0.8, n - 1) if n > 1 else np.array([])
    return (q * np.concatenate([[top], rest])) @ q.T


def eigen_growth(W: np.ndarray, g: np.ndarray, steps: int) -> EigenGrowth:
    """Seed 001: for a normal W, dL/dh_{t-m} = (W^T)^m dL/dh_t (linear RNN, loss at t);
    its component along an eigenvector with eigenvalue lambda is lambda^m times the
    first: it grows like |lambda|^m when |lambda| > 1."""
    vals, vecs = np.linalg.eigh((W + W.T) / 2) if np.allclose(W, W.T) else \
        (None, None)
    if vals is None:
        raise SymbpttError("eigen_growth needs a symmetric (normal) W")
    top = int(np.argmax(np.abs(vals)))
    v, lam = vecs[:, top], float(vals[top])
    comps, cur = [], np.array(g, dtype=float)
    for _ in range(steps + 1):
        comps.append(abs(float(v @ cur)))
        cur = W.T @ cur
    ms = tuple(range(steps + 1))
    return EigenGrowth(lam, ms, tuple(comps), _fit_rate(ms, comps), float(np.log(abs(lam))))


def clip(g: np.ndarray, threshold: float) -> tuple[np.ndarray, dict]:
    """Seed 001's norm clipping: g~ = min(1, c / ||g||) g. Returns g~ and what it did:
    the norms before and after and the angle between g and g~ (0: the direction kept)."""
    if not (np.isfinite(threshold) and threshold > 0):
        raise SymbpttError(f"a clip threshold must be a positive number, got {threshold}")
    g = np.asarray(g, dtype=float)
    norm = float(np.linalg.norm(g))
    factor = min(1.0, threshold / norm) if norm > 0 else 1.0
    out = g * factor
    after = float(np.linalg.norm(out))
    angle = 0.0
    if norm > 0 and after > 0:      # 2 atan2(|u - v|, |u + v|): exact near 0, unlike arccos
        u, v = g.ravel() / norm, out.ravel() / after
        angle = float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))
    return out, {"threshold": threshold, "norm_before": norm, "norm_after": after,
                 "factor": factor, "angle_degrees": angle, "clipped": factor < 1.0}


# ---- attention's shortcut (seed 001) -----------------------------------------------------

@dataclass(frozen=True)
class PathSizes:
    """||dl_t/dx_{t-tau}|| along the recurrent path and along the attention shortcut."""
    t: int
    taus: tuple[int, ...]            # 0..t-1
    recurrent: tuple[float, ...]     # through h_{t-tau}, ..., h_t
    shortcut: tuple[float, ...]      # through alpha_{t, t-tau} and c_t
    recurrent_rate: float            # fitted d log size / d tau
    shortcut_rate: float


def attention_paths(P: dict, X: np.ndarray, Y: np.ndarray, t: int | None = None) -> PathSizes:
    """The loss at step t (default T) only, first sequence of the batch: its gradient with
    respect to each earlier input, split into the two paths seed 001 names."""
    from .engine import forward
    from .cells.gated import ATTENTION as cell
    X, Y = X[:1], Y[:1]
    steps = forward(cell, P, X)
    t = t or len(steps)
    if not 1 <= t <= len(steps):
        raise SymbpttError(f"a lag past T: t must be in 1..{len(steps)}, got {t}")
    st = steps[t - 1]
    (g_h,), _, g_x = cell.loss_vjp(P, st, Y[:, t - 1], len(steps))
    recurrent, shortcut, delta = {}, {}, (g_h,)
    for k in range(t, 0, -1):
        back, _, gx = cell.vjp(P, steps[k - 1], delta)
        recurrent[k] = float(np.linalg.norm(gx))
        shortcut[k] = float(np.linalg.norm(g_x[k]))
        delta = back
    taus = tuple(range(t))
    rec = tuple(recurrent[t - tau] for tau in taus)
    short = tuple(shortcut[t - tau] for tau in taus)
    return PathSizes(t, taus, rec, short, _fit_rate(taus, rec), _fit_rate(taus, short))


# ---- cost: the naive path sum against BPTT (seed 000) --------------------------------------

def path_cost(spec, activation: str | None = None, Ts=(10, 30, 100),
              n: int = 8, d: int = 4, seed: int = 0, repeat: int = 3) -> dict:
    """Seed 000: the naive sum over paths visits T (T + 1) / 2 (loss, step) pairs (55 at
    T = 10), BPTT one step each. Both run on the engine for `spec`; the best of `repeat`
    times is kept, and each algorithm's own counts of paths and VJP calls are reported."""
    import time as _time

    from ..model.spec import Dims
    from . import engine
    from .cells import cell_for
    from .data import draw
    cell = cell_for(spec, activation)
    rows = []
    for T in Ts:
        pr = draw(spec, T, Dims(n, d, 2), seed)

        def best(fn):
            times = []
            for _ in range(repeat):
                start = _time.perf_counter()
                out = fn()
                times.append(_time.perf_counter() - start)
            return min(times), out
        bptt_s, full = best(lambda: engine.full(cell, pr.params, pr.X, pr.Y))
        naive_s, naive = best(lambda: engine.path_sum(cell, pr.params, pr.X, pr.Y))
        same = all(np.allclose(full.params[k], naive.params[k], rtol=1e-9, atol=1e-12)
                   for k in full.params)
        rows.append({"T": T, "paths": naive.paths, "formula": T * (T + 1) // 2,
                     "bptt_vjp_calls": full.vjp_calls, "path_sum_vjp_calls": naive.vjp_calls,
                     "bptt_s": bptt_s, "path_sum_s": naive_s, "same_gradient": same})
    return {"rows": rows, "model": spec.name, "n": n, "d": d}
