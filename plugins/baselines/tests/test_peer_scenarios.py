"""Held-out scenarios re-derived from the public test suites of Snorkel, FlyingSquid and cleanlab
(issue 13). Each generator rebuilds a peer's data with its known answer (true accuracies, class
balance, conditional probability tables, labels); every learned label model in the
`label_models` group is run on it.

What every scenario asserts, for every learned model: it fits (or refuses with a DataError), its
probabilities are finite rows summing to 1, and its accuracy is at most 5 points under majority
vote. Where the peer asserts a number, the scenario asserts it too, on a model-agnostic reading of
the fitted model: an LF's accuracy as the model sees it is the mean posterior mass on that LF's
vote over the rows where it votes; the class balance is the mean posterior; a conditional table
P(lf = l | y) is the posterior-weighted frequency of l. These equal the truth when the posterior is
the true one (`test_known_answers_hold`). Where the peer gives no number, Snorkel's LabelModel
(contrib/snorkel) fitted on the same matrix is the reference.

Scenarios a model honestly misses are strict xfails (`MISSES`) with the measured figure.
`factor-graph-structure` (seconds per fit) runs only with `-m slow`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import weasul
from weasul.errors import DataError

LEARNED = [
    "auto",
    "dawid-skene",
    "weighted-vote",
    "matrix-completion",
    "triplet",
    "factor-graph",
    "active-weasul",
    "nashaat",
    "factor-graph-structure",
]
SLOW_MODELS = {"factor-graph-structure"}


@dataclass
class Scenario:
    """A label matrix with its known answer. `cpt` is (m, k+1, k): P(lf = l | y), row 0 abstain."""

    L: np.ndarray
    y: np.ndarray
    k: int
    accuracy: np.ndarray | None = None
    balance: np.ndarray | None = None
    cpt: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- generators


def _from_cpt(cpt: np.ndarray, balance: np.ndarray, n: int, rng: np.random.Generator) -> Scenario:
    """Draw y from `balance`, then each LF's output from its column P(. | y) of `cpt` (row 0 = abstain)."""
    m, kp1, k = cpt.shape
    y = rng.choice(k, n, p=balance)
    cum = np.cumsum(cpt, axis=1)  # (m, k+1, k)
    u = rng.random((n, m))
    out = (u[:, :, None] > cum[:, :, y].transpose(2, 0, 1)).sum(axis=2)  # (n, m) in 0..k
    L = out - 1
    correct = cpt[:, 1:, :][:, np.arange(k), np.arange(k)]  # (m, k) P(lf = y | y)
    vote = 1 - cpt[:, 0, :]  # (m, k) P(lf votes | y)
    acc = (correct * balance).sum(axis=1) / (vote * balance).sum(axis=1)
    return Scenario(L=L, y=y, k=k, accuracy=acc, balance=balance, cpt=cpt)


def _symmetric_cpt(acc: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """(m, 3, 2) binary tables of LFs with class-independent accuracy and coverage."""
    cpt = np.empty((acc.size, 3, 2))
    cpt[:, 0, :] = (1 - coverage)[:, None]
    cpt[:, 1, 0] = cpt[:, 2, 1] = coverage * acc
    cpt[:, 2, 0] = cpt[:, 1, 1] = coverage * (1 - acc)
    return cpt


def _random_cpt(m: int, k: int, rng: np.random.Generator, abstain_weight: float = 1.0) -> np.ndarray:
    """Snorkel's synthetic tables: uniform noise, (k - 1) added on the diagonal of the vote rows, the
    abstain row scaled by `abstain_weight`, each column normalised."""
    p = rng.random((m, k + 1, k))
    p[:, 1:, :] += (k - 1) * np.eye(k)
    p[:, 0, :] *= abstain_weight
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


def snorkel_weights(seed: int = 0, n: int = 1000) -> Scenario:
    """Snorkel test_get_weight: 5 LFs of accuracy .95/.6/.7/.55/.8, coverage 1/.8/1/1/1, balanced
    binary; Snorkel asserts each learned accuracy within 0.1 of the truth."""
    rng = np.random.default_rng(seed)
    acc = np.array([0.95, 0.6, 0.7, 0.55, 0.8])
    cov = np.array([1.0, 0.8, 1.0, 1.0, 1.0])
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, 5)) < acc, y[:, None], 1 - y[:, None])
    L[rng.random((n, 5)) >= cov] = -1
    return Scenario(L=L, y=y, k=2, accuracy=acc, balance=np.array([0.5, 0.5]), cpt=_symmetric_cpt(acc, cov))


def snorkel_basic(
    seed: int = 0, n: int = 10_000, m: int = 10, k: int = 2, abstain_weight: float = 1.0
) -> Scenario:
    """Snorkel test_label_model_basic / _sparse: random class-conditional tables (m=10, n=10k,
    balanced); Snorkel asserts its learned tables equal the truth to 2 decimals and accuracy >= 0.9
    (dense) or >= 0.65 on covered rows (sparse: abstain row weighted 1000x)."""
    rng = np.random.default_rng(seed)
    cpt = _random_cpt(m, k, rng, abstain_weight)
    return _from_cpt(cpt, np.full(k, 1.0 / k), n, rng)


def snorkel_class_balance(seed: int = 0, k: int = 2, m: int = 25, n: int = 5000) -> Scenario:
    """Snorkel test_class_balance (noisy case): random class balance, 25 LFs with abstains, n=5000;
    Snorkel asserts the balance within 1e-2 (mean absolute error)."""
    rng = np.random.default_rng(seed)
    balance = rng.random(k)
    balance /= balance.sum()
    return _from_cpt(_random_cpt(m, k, rng), balance, n, rng)


def flyingsquid_basics(seed: int = 0, n: int = 10_000) -> Scenario:
    """FlyingSquid's basics tutorial: binary Ising model with LF weights theta = 1.5/.5/.2/.2/.05
    (accuracy e^t / (e^t + e^-t) = .95/.73/.60/.60/.52), abstain rates .8/.88/.28/.38/.45."""
    rng = np.random.default_rng(seed)
    theta = np.array([1.5, 0.5, 0.2, 0.2, 0.05])
    acc = np.exp(theta) / (np.exp(theta) + np.exp(-theta))
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, 5)) < acc, y[:, None], 1 - y[:, None])
    abstain = np.array([0.8, 0.88, 0.28, 0.38, 0.45])
    L[rng.random((n, 5)) < abstain] = -1
    return Scenario(
        L=L, y=y, k=2, accuracy=acc, balance=np.array([0.5, 0.5]), cpt=_symmetric_cpt(acc, 1 - abstain)
    )


def dependent_lfs(seed: int = 0, n: int = 5000) -> Scenario:
    """FlyingSquid's dependency examples / Snorkel's higher-order cliques: a mediocre LF copied three
    times (its copies agree 95% of the time) next to three independent better LFs. No fixed number
    from the peers; Snorkel's LabelModel (independence assumed, as ours) is the reference."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good = np.where(rng.random((n, 3)) < [0.8, 0.75, 0.7], y[:, None], 1 - y[:, None])
    base = np.where(rng.random(n) < 0.62, y, 1 - y)
    copies = np.where(rng.random((n, 3)) < 0.95, base[:, None], 1 - base[:, None])
    L = np.concatenate([good, copies], axis=1)
    L[rng.random(L.shape) < 0.2] = -1
    return Scenario(L=L, y=y, k=2, balance=np.array([0.5, 0.5]))


def cleanlab_crowd(seed: int = 1, per_annotator: float = 0.2) -> Scenario:
    """cleanlab test_multiannotator make_data: 3 classes of 80/40/40 items, 50 annotators sharing one
    noise matrix of trace 0.8 * 3, each answering about 20% of the items; rows nobody answered are
    dropped. cleanlab's consensus is majority vote based; the reference is majority vote and Snorkel."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), [80, 40, 40])
    k = 3
    # a valid noise matrix P(noisy | true) with diagonal averaging 0.8 (cleanlab's trace 2.4)
    diag = np.array([0.85, 0.78, 0.77])
    noise = np.empty((k, k))
    for t in range(k):
        off = rng.dirichlet(np.ones(k - 1)) * (1 - diag[t])
        noise[:, t] = np.insert(off, t, diag[t])
    cum = np.cumsum(noise[:, y].T, axis=1)
    answers = (rng.random((y.size, 50))[:, :, None] > cum[:, None, :]).sum(axis=2)
    L = np.where(rng.random((y.size, 50)) < per_annotator, answers, -1)
    keep = (L != -1).any(axis=1)
    L, y = L[keep], y[keep]
    L = L[:, (L != -1).any(axis=0)]
    balance = np.bincount(y, minlength=k) / y.size
    return Scenario(L=L, y=y, k=k, balance=balance, extra={"noise_trace": float(np.trace(noise))})


# ---------------------------------------------------------------- readings of a fitted model


def implied_accuracy(P: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Each LF's accuracy as the model sees it: mean posterior mass on its vote where it votes."""
    acc = np.full(L.shape[1], np.nan)
    for j in range(L.shape[1]):
        rows = np.flatnonzero(L[:, j] != -1)
        if rows.size:
            acc[j] = P[rows, L[rows, j]].mean()
    return acc


def implied_cpt(P: np.ndarray, L: np.ndarray, k: int) -> np.ndarray:
    """(m, k+1, k) posterior-weighted P(lf = l | y), row 0 = abstain (Snorkel's layout)."""
    onehot = (L[:, :, None] + 1 == np.arange(k + 1)).astype(float)  # (n, m, k+1)
    out: np.ndarray = np.einsum("iml,iy->mly", onehot, P) / P.sum(axis=0)
    return out


def oracle_posterior(s: Scenario) -> np.ndarray:
    """P(y | lambda) under the true independent model (needs `cpt` and `balance`)."""
    assert s.cpt is not None and s.balance is not None
    logp = np.log(s.balance)[None, :].repeat(s.L.shape[0], axis=0)
    for j in range(s.L.shape[1]):
        logp += np.log(s.cpt[j, s.L[:, j] + 1, :])
    logp -= logp.max(axis=1, keepdims=True)
    P = np.exp(logp)
    out: np.ndarray = P / P.sum(axis=1, keepdims=True)
    return out


# ---------------------------------------------------------------- running every model

SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "snorkel-weights": snorkel_weights,
    "snorkel-dense": snorkel_basic,
    "snorkel-sparse": functools.partial(snorkel_basic, abstain_weight=1000.0),
    "snorkel-balance-2": functools.partial(snorkel_class_balance, k=2),
    "snorkel-balance-3": functools.partial(snorkel_class_balance, k=3),
    "snorkel-3-classes": functools.partial(snorkel_basic, k=3, n=6000),
    "flyingsquid-basics": flyingsquid_basics,
    "dependent-lfs": dependent_lfs,
    "cleanlab-crowd": cleanlab_crowd,
}
#: scored on the rows where some LF votes (most rows of these have no vote)
COVERED_ONLY = {"snorkel-sparse", "flyingsquid-basics"}

_INDEPENDENCE = "independence given y assumed (as Snorkel's LabelModel, 0.627): the copies outvote the rest"
_SYMMETRIC = "one accuracy per source: cannot represent Snorkel's class-conditional tables"
_AGREEMENT = (
    "accuracy = agreement with the other sources' weighted vote, not corrected for that vote's own errors "
    "(a correction reached 0.044 here but cost auto 0.8 on youtube: not landed)"
)
_BALANCE = "class prior from vote shares; second moments do not identify it (Snorkel: 0.118 / 0.161)"
#: (test, scenario or case, model) -> why the model misses the peer's answer, with the figure
MISSES: dict[tuple[str, str, str], str] = {
    **{
        ("no-collapse", "dependent-lfs", name): f"{_INDEPENDENCE}; MV 0.719, model 0.626-0.640"
        for name in LEARNED
    },
    ("tables", "dense", "weighted-vote"): f"{_SYMMETRIC} (max error 0.059 > 0.05)",
    ("tables", "dense", "factor-graph"): f"{_SYMMETRIC} (max error 0.057 > 0.05)",
    ("tables", "dense", "factor-graph-structure"): f"{_SYMMETRIC} (max error 0.057 > 0.05)",
    ("balance", "2", "matrix-completion"): f"{_BALANCE}; error 0.032 > 0.02",
    ("balance", "2", "active-weasul"): f"{_BALANCE}; error 0.032 > 0.02",
    ("balance", "2", "nashaat"): f"{_BALANCE}; error 0.032 > 0.02",
    ("balance", "3", "matrix-completion"): f"{_BALANCE}; error 0.034 > 0.02",
    ("balance", "3", "active-weasul"): f"{_BALANCE}; error 0.034 > 0.02",
    ("balance", "3", "nashaat"): f"{_BALANCE}; error 0.034 > 0.02",
    ("get-weight", "snorkel-weights", "weighted-vote"): f"{_AGREEMENT}: LF 1's 0.95 read as 0.76 "
    "(max error 0.115 > 0.1)",
    ("flyingsquid", "10k", "weighted-vote"): f"{_AGREEMENT}: LF 1's 0.95 read as 0.61 "
    "(max error 0.342 > Snorkel's 0.123 + 0.03)",
    ("flyingsquid", "10k", "matrix-completion"): "the anchor (0.3) pulls towards majority vote's accuracies: "
    "max error 0.177 > Snorkel's 0.123 + 0.03 (anchor=0: 0.064, but the 3-class balance scenario then "
    "falls to 0.830 under majority vote's 1.0)",
    ("flyingsquid", "100k", "matrix-completion"): "the anchor: max error 0.152 > 0.05 (anchor=0: 0.010)",
    ("flyingsquid", "100k", "active-weasul"): "the anchor: max error 0.117 > 0.05",
    ("flyingsquid", "100k", "nashaat"): "the anchor: max error 0.117 > 0.05",
    ("flyingsquid", "100k", "weighted-vote"): f"{_AGREEMENT}: max error 0.332 > 0.05",
}


def _models(test: str, case: str) -> list[object]:
    """LEARNED as pytest params, with the strict xfails of `MISSES` and the slow models marked."""
    out: list[object] = []
    for name in LEARNED:
        marks = [pytest.mark.slow] if name in SLOW_MODELS else []
        reason = MISSES.get((test, case, name))
        if reason is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def _cases(test: str, cases: list[str]) -> list[object]:
    return [
        pytest.param(case, p.values[0], marks=p.marks, id=f"{case}-{p.id}")  # type: ignore[attr-defined]
        for case in cases
        for p in _models(test, case)
    ]


@dataclass
class Fitted:
    name: str
    P: np.ndarray | None  # None: refused with a DataError
    refusal: str = ""

    def accuracy(self, s: Scenario, rows: np.ndarray | None = None) -> float:
        assert self.P is not None
        idx = np.arange(s.y.size) if rows is None else rows
        return float((self.P[idx].argmax(axis=1) == s.y[idx]).mean())


def fit(name: str, s: Scenario, **params: object) -> Fitted:
    """Fit `name` on `s.L`; the probabilities on `s.L`, checked finite and normalised."""
    try:
        model = weasul.create("label_models", name, n_classes=s.k, **params).fit(s.L)
    except DataError as e:
        assert "use" in str(e).lower(), f"{name}: a refusal says what to use instead: {e}"
        return Fitted(name, None, str(e))
    P = np.asarray(model.predict_proba(s.L), dtype=np.float64)
    assert P.shape == (s.L.shape[0], s.k), name
    assert np.isfinite(P).all(), f"{name}: non-finite probabilities"
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-6, err_msg=name)
    return Fitted(name, P)


@functools.cache
def scenario(key: str) -> Scenario:
    return SCENARIOS[key]()


@functools.cache
def fitted(key: str, name: str) -> Fitted:
    if name == "snorkel-label-model":
        pytest.importorskip("snorkel")
    return fit(name, scenario(key))


def _rows(key: str) -> np.ndarray | None:
    s = scenario(key)
    return np.flatnonzero((s.L != -1).any(axis=1)) if key in COVERED_ONLY else None


def _refused(f: Fitted) -> bool:
    return f.P is None


# ---------------------------------------------------------------- every scenario: no collapse


@pytest.mark.parametrize(("key", "name"), _cases("no-collapse", sorted(SCENARIOS)))
def test_no_collapse(key: str, name: str) -> None:
    """At most 5 points under majority vote (or a refusal that says what to use)."""
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    mv = fitted(key, "majority-vote").accuracy(s, _rows(key))
    ours = f.accuracy(s, _rows(key))
    assert ours >= mv - 0.05, f"{name} {ours:.3f}, majority vote {mv:.3f}"


# ---------------------------------------------------------------- Snorkel


@pytest.mark.parametrize("name", _models("get-weight", "snorkel-weights"))
def test_snorkel_get_weight_recovers_lf_accuracies(name: str) -> None:
    """Snorkel's tolerance: every LF's learned accuracy within 0.1 of the truth."""
    s, f = scenario("snorkel-weights"), fitted("snorkel-weights", name)
    if _refused(f):
        return
    assert f.P is not None and s.accuracy is not None
    est = implied_accuracy(f.P, s.L)
    assert np.abs(est - s.accuracy).max() <= 0.1, (np.round(est, 3), s.accuracy)


@pytest.mark.parametrize(("case", "name"), _cases("tables", ["dense", "sparse"]))
def test_snorkel_synthetic_tables_and_accuracy(case: str, name: str) -> None:
    """Snorkel's floors (0.9 dense; 0.65 on covered rows sparse) and its learned tables close to
    the truth: within 0.05 dense (Snorkel's own reading here 0.028, the oracle's 0.017) and 0.03
    sparse (abstains dominate every column there)."""
    key = f"snorkel-{case}"
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    assert f.P is not None and s.cpt is not None
    floor, tol = (0.9, 0.05) if case == "dense" else (0.65, 0.03)
    assert f.accuracy(s, _rows(key)) >= floor
    err = float(np.abs(implied_cpt(f.P, s.L, s.k) - s.cpt).max())
    assert err <= tol, f"max table error {err:.3f}"


@pytest.mark.parametrize(("case", "name"), _cases("balance", ["2", "3"]))
def test_snorkel_class_balance_recovered(case: str, name: str) -> None:
    """Random class balance, 25 LFs with abstains: the balance within 0.02 (mean absolute)."""
    key = f"snorkel-balance-{case}"
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    assert f.P is not None and s.balance is not None
    err = float(np.abs(f.P.mean(axis=0) - s.balance).mean())
    assert err <= 0.02, f"balance {np.round(f.P.mean(axis=0), 3)} vs {np.round(s.balance, 3)}"


def _check_near_snorkel(key: str, name: str, points: float) -> None:
    """The model's accuracy on scenario `key` at most `points` under Snorkel's (or refused)."""
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    ref = fitted(key, "snorkel-label-model").accuracy(s)
    assert f.accuracy(s) >= ref - points, f"{f.accuracy(s):.3f}, Snorkel {ref:.3f}"


@pytest.mark.parametrize("name", _models("three-classes", "snorkel-3-classes"))
def test_snorkel_three_classes_against_snorkel(name: str) -> None:
    _check_near_snorkel("snorkel-3-classes", name, 0.02)


TINY: dict[str, tuple[np.ndarray, list[int | None]]] = {
    # Snorkel test_mv_default: fewer than two LFs overlap -> each row's single vote
    "no-overlap": (np.array([[-1, -1, 1], [-1, 1, -1], [0, -1, -1]]), [1, 1, 0]),
    # Snorkel test_mv_default: fewer than two LFs conflict -> the unanimous votes
    "no-conflict": (np.array([[-1, -1, 1], [-1, 1, 1], [1, 1, 1]]), [1, 1, 1]),
    # Snorkel test_score: two covered rows with a 2-1 majority for class 1 (issue 13 repro 1)
    "score": (np.array([[1, 1, 0], [-1, -1, -1], [1, 0, 1]]), [1, None, 1]),
}


@pytest.mark.parametrize(("case", "name"), _cases("tiny", sorted(TINY)))
def test_snorkel_tiny_matrices(case: str, name: str) -> None:
    """Snorkel's answers on 3 x 3 matrices (None: no vote, where Snorkel abstains)."""
    L, expected = TINY[case]
    f = fit(name, Scenario(L=L, y=np.zeros(L.shape[0], dtype=int), k=2))
    if _refused(f):
        return
    assert f.P is not None
    for i, want in enumerate(expected):
        if want is not None:
            assert f.P[i].argmax() == want and f.P[i, want] > 0.5 + 1e-6, (i, f.P[i])


@pytest.mark.parametrize("name", _models("all-disagree", "all-disagree"))
def test_snorkel_always_disagreeing_lfs_are_ties(name: str) -> None:
    """Snorkel test_predict: three LFs that always disagree (or abstain) -> every row a tie."""
    L = np.array([[-1, 1, 0], [0, -1, 1], [1, 0, -1]])
    f = fit(name, Scenario(L=L, y=np.zeros(3, dtype=int), k=2))
    if f.P is not None:
        np.testing.assert_allclose(f.P, 0.5, atol=1e-3)


# ---------------------------------------------------------------- FlyingSquid


@pytest.mark.parametrize("name", _models("flyingsquid", "10k"))
def test_flyingsquid_basics_accuracies(name: str) -> None:
    """No number from FlyingSquid (its example prints the accuracy): each LF's learned accuracy
    within Snorkel's own error + 0.03 (Snorkel 0.123 here: LF 1's 0.95 is read as 0.83)."""
    key = "flyingsquid-basics"
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    assert f.P is not None and s.accuracy is not None
    ref_P = fitted(key, "snorkel-label-model").P
    assert ref_P is not None
    ref = float(np.abs(implied_accuracy(ref_P, s.L) - s.accuracy).max())
    err = float(np.abs(implied_accuracy(f.P, s.L) - s.accuracy).max())
    assert err <= ref + 0.03, f"max error {err:.3f}, Snorkel {ref:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("name", _models("flyingsquid", "100k"))
def test_flyingsquid_basics_accuracies_at_100k(name: str) -> None:
    """Issue 13's repro 2 at 100k rows: within 0.05 (the factor graph within 0.03, the issue's bar)."""
    s = flyingsquid_basics(n=100_000)
    f = fit(name, s)
    if _refused(f):
        return
    assert f.P is not None and s.accuracy is not None
    err = float(np.abs(implied_accuracy(f.P, s.L) - s.accuracy).max())
    assert err <= (0.03 if name == "factor-graph" else 0.05), f"max error {err:.3f}"


@pytest.mark.parametrize("name", _models("dependent", "dependent-lfs"))
def test_dependent_lfs_against_snorkel(name: str) -> None:
    _check_near_snorkel("dependent-lfs", name, 0.05)


DECLARED = [
    pytest.param("matrix-completion", {"cliques": [[3, 4, 5]]}, id="matrix-completion"),
    pytest.param("active-weasul", {"cliques": [[3, 4, 5]]}, id="active-weasul"),
    pytest.param(
        "factor-graph",
        {"dependencies": [["similar", 3, 4], ["similar", 4, 5], ["similar", 3, 5]]},
        id="factor-graph",
        marks=pytest.mark.xfail(
            strict=True,
            reason="declared 'similar' factors learn weights 0.00-0.12 and the copies keep accuracy 0.94-0.96 "
            "(log-likelihood -5.736 vs -5.737 undeclared: both explain the agreement); 0.626 under MV 0.719",
        ),
    ),
]


@pytest.mark.parametrize(("name", "params"), DECLARED)
def test_dependent_lfs_declared(name: str, params: dict[str, object]) -> None:
    """FlyingSquid's and Snorkel's answer to dependent LFs: declare them. With the copies as one
    clique the model must not fall under majority vote (matrix completion: 0.766, MV 0.719)."""
    s = scenario("dependent-lfs")
    f = fit(name, s, **params)
    assert f.P is not None
    mv = fitted("dependent-lfs", "majority-vote").accuracy(s)
    assert f.accuracy(s) >= mv, f"{f.accuracy(s):.3f}, majority vote {mv:.3f}"


# ---------------------------------------------------------------- cleanlab


@pytest.mark.parametrize("name", _models("crowd", "cleanlab-crowd"))
def test_cleanlab_crowd_against_snorkel(name: str) -> None:
    key = "cleanlab-crowd"
    s, f = scenario(key), fitted(key, name)
    if _refused(f):
        return
    ref = fitted(key, "snorkel-label-model").accuracy(s)
    assert f.accuracy(s) >= ref - 0.05, f"{f.accuracy(s):.3f}, Snorkel {ref:.3f}"


CLEANLAB_TINY = {
    # test_get_consensus_label, non-overlapping annotators: rows 2-4 have a strict majority
    "tiebreaks": np.array(
        [
            [1, -1, -1, 2, -1],
            [-1, 1, 0, -1, -1],
            [-1, -1, 0, -1, -1],
            [-1, 2, -1, -1, -1],
            [2, -1, 0, 2, -1],
            [-1, -1, -1, 2, 1],
        ]
    ),
    # test_missing_class: class 0 is never answered (K = 3 still)
    "missing-class": np.array([[1, -1, 2], [1, 1, 2], [2, 2, 1], [-1, 2, 2], [-1, 2, 1], [-1, 2, 2]]),
}


@pytest.mark.parametrize(("case", "name"), _cases("cleanlab-tiny", sorted(CLEANLAB_TINY)))
def test_cleanlab_tiny_crowds(case: str, name: str) -> None:
    """Rows where every answer is the same class keep it; an unanswered class gives no NaN."""
    L = CLEANLAB_TINY[case]
    f = fit(name, Scenario(L=L, y=np.zeros(L.shape[0], dtype=int), k=3))
    if _refused(f):
        return
    assert f.P is not None
    for i, row in enumerate(L):
        answers = set(row[row != -1].tolist())
        if len(answers) == 1:
            assert f.P[i].argmax() == answers.pop(), (i, f.P[i])


@pytest.mark.parametrize("name", _models("single-annotator", "single-annotator"))
def test_cleanlab_single_annotator(name: str) -> None:
    """cleanlab's small_data: one annotator only; a label model can only repeat its answers."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 5)
    L = np.where(rng.random(15) < 0.8, y, (y + 1) % 3)[:, None]
    f = fit(name, Scenario(L=L, y=y, k=3))
    if not _refused(f):
        assert f.P is not None
        np.testing.assert_array_equal(f.P.argmax(axis=1), L[:, 0])


# ---------------------------------------------------------------- the generators themselves


def test_known_answers_hold() -> None:
    """The generators' stated answers hold on their own draws: empirical accuracies, and the
    oracle posterior's readings (accuracy, table, balance) equal the truth."""
    s = snorkel_weights(n=20_000)
    assert s.accuracy is not None
    votes = s.L != -1
    emp = np.array([(s.L[votes[:, j], j] == s.y[votes[:, j]]).mean() for j in range(5)])
    np.testing.assert_allclose(emp, s.accuracy, atol=0.01)
    np.testing.assert_allclose(implied_accuracy(oracle_posterior(s), s.L), s.accuracy, atol=0.01)
    b = snorkel_basic(n=20_000)
    assert b.cpt is not None
    np.testing.assert_allclose(implied_cpt(oracle_posterior(b), b.L, b.k), b.cpt, atol=0.02)
    c = snorkel_class_balance(k=3, n=20_000)
    assert c.balance is not None
    np.testing.assert_allclose(oracle_posterior(c).mean(axis=0), c.balance, atol=0.01)
    fs = flyingsquid_basics(n=20_000)
    assert fs.accuracy is not None
    np.testing.assert_allclose(fs.accuracy, np.array([0.953, 0.731, 0.599, 0.599, 0.525]), atol=1e-3)
    np.testing.assert_allclose(implied_accuracy(oracle_posterior(fs), fs.L), fs.accuracy, atol=0.015)
    crowd = cleanlab_crowd()
    assert crowd.extra["noise_trace"] == pytest.approx(2.4)
    assert crowd.L.shape[0] <= 160 and (crowd.L != -1).any(axis=1).all()


# ---------------------------------------------------------------- the fix these scenarios led to


def test_matrix_completion_refuses_what_its_co_votes_cannot_identify() -> None:
    """Matrix completion fits covariances between sources. Before this check it answered the
    tiny peer matrices confidently and wrongly: three votes for class 1 got P(1) = 0.49
    (Snorkel's no-conflict case), cleanlab's lone vote for class 0 went to class 1 (0.37 vs 0.27),
    always-disagreeing sources got 0.75 / 0.25 where Snorkel ties."""
    for L in (
        TINY["no-conflict"][0],
        CLEANLAB_TINY["tiebreaks"],
        np.array([[-1, 1, 0], [0, -1, 1], [1, 0, -1]]),
    ):
        for name in ("matrix-completion", "active-weasul"):
            with pytest.raises(DataError, match=r"co-votes .*use majority-vote"):
                weasul.create("label_models", name, n_classes=int(L.max()) + 1).fit(L)
    # many co-votes, none agreeing: no source can be told better than chance
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 300)
    L = np.column_stack([a, 1 - a, np.where(rng.random(300) < 0.5, -1, a)])
    L[L[:, 2] != -1, 0] = -1  # source 2 co-votes only with source 1, which always disagrees
    with pytest.raises(DataError, match="ever agree"):
        weasul.create("label_models", "matrix-completion", n_classes=2).fit(L)
    # many co-votes that never disagree (crowd HITspam): it fits, and agrees with majority vote
    y = rng.integers(0, 2, 400)
    L = np.where(rng.random((400, 4)) < 0.5, y[:, None], -1)
    s = Scenario(L=L, y=y, k=2)
    mc, mv = fit("matrix-completion", s), fit("majority-vote", s)
    assert mc.P is not None and mv.P is not None
    covered = (L != -1).any(axis=1)
    np.testing.assert_array_equal(mc.P[covered].argmax(axis=1), mv.P[covered].argmax(axis=1))
