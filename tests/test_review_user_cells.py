"""Review: correct user cells that symbptt gets wrong (aliased sequences, shared
subexpressions, an incomplete zero test)."""
from __future__ import annotations

import pytest

import symbptt
from symbptt.errors import SymbpttError

HEAD = '[params]\nW = "n x n"\nV = "n x n"\nU = "n x d"\nv = "n"\nb = "n"\n' \
       '[sequences]\nx = "{x}"\ny = "n"\n[cell]\n'


def _write(tmp_path, name, equations, loss, x="d"):
    eqs = ", ".join(f'"{e}"' for e in equations)
    path = tmp_path / f"{name}.toml"
    path.write_text(HEAD.format(x=x) + f"equations = [{eqs}]\nloss = \"{loss}\"\n")
    return str(path)


# each a correct cell: the engine and the recursive form must match the direct gradient
ALIASED = {
    # a state that is the input itself: its adjoint is counted twice in dL/dx
    "state_is_input": (["h[t] = tanh(W @ h[t-1] + V @ s[t-1])", "s[t] = x[t]"],
                       "l[t] = (h[t] + s[t]).T @ (h[t] + s[t])", "n"),
    # two sequences with the same right side share one op: one state's seed is lost
    "twin_states": (["h[t] = tanh(W @ h[t-1] + U @ x[t])", "g[t] = tanh(W @ h[t-1] + U @ x[t])",
                     "k[t] = tanh(V @ g[t-1] + k[t-1])"],
                    "l[t] = k[t].T @ k[t] + h[t].T @ h[t]", "d"),
    # a state equal to a parameter: dL/db counted twice (and a crash at batch > 1)
    "state_is_param": (["h[t] = tanh(W @ h[t-1] + x[t] + g[t-1])", "g[t] = b"],
                       "l[t] = h[t].T @ h[t] + g[t].T @ g[t]", "n"),
}


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_aliased_sequences_crosscheck_agrees(tmp_path, name):
    eqs, loss, x = ALIASED[name]
    path = _write(tmp_path, name, eqs, loss, x)
    for batch in (1, 3):
        try:
            report = symbptt.crosscheck(path, T=3, batch=batch)
        except Exception as err:        # noqa: BLE001
            pytest.fail(f"{name}: crosscheck at batch {batch} raised {type(err).__name__}: {err}")
        assert report.agree, f"{name}: a correct cell, but crosscheck (batch {batch}) DISAGREEs"


@pytest.mark.parametrize("loss", ["l[t] = (h[t] + U @ x[t] - y[t]).T @ (h[t] - y[t])",
                                  "l[t] = v.T @ W.T @ h[t]"])
def test_loss_may_reuse_a_parameter_only_subexpression(tmp_path, loss):
    """U @ x[t] and W.T depend on x and the parameters only, which the loss may read; they are
    refused only because the step computes the same expression (memoized to one op)."""
    path = _write(tmp_path, "shared", ["h[t] = tanh(W @ h[t-1] + W.T @ (U @ x[t]))"], loss)
    try:
        symbptt.load_model(path)
    except SymbpttError as err:
        pytest.fail(f"a valid cell refused: {err}")


@pytest.mark.parametrize("name,eqs,loss", [
    ("softmax_state", ["h[t] = softmax(W @ h[t-1] + U @ x[t])"], "l[t] = -y[t].T @ log(h[t])"),
    ("log_sigmoid", ["h[t] = tanh(W @ h[t-1] + U @ x[t])"], "l[t] = log(sigmoid(v.T @ h[t]))"),
])
def test_unrolled_certificate_proves_a_correct_cell(tmp_path, name, eqs, loss):
    """Both cells cross-check, and the printed counterexample shows direct = recursive to 19
    digits, yet the unrolled certificate says the recursive form 'differs'."""
    path = _write(tmp_path, name, eqs, loss)
    assert symbptt.crosscheck(path, T=2).agree
    cert = symbptt.prove(path, T=2)
    # proven (log of a sigmoid: SymPy's cancel settles a / a), or, where the difference is
    # too big to cancel (a softmax state at T = 2), undecided: never "differs"
    assert cert.proven or cert.undecided, f"{name}: NOT PROVEN on a correct cell: {cert.claim}"
    assert "differs" not in cert.claim
    if name == "log_sigmoid":
        assert cert.proven
    assert symbptt.prove(path, T=1).proven          # small enough to cancel: proven
