"""Dawid-Skene, matrix completion and triplet on generated data with known answers, plus real data."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.data import ExpertLabels
from weasul.errors import DataError, SpecError, WeasulError
from weasul_baselines import DawidSkene, MajorityVote, MatrixCompletion, MCProblem, Triplet, WeightedVote

ALL = [MajorityVote, WeightedVote, DawidSkene, MatrixCompletion, Triplet]


def generated(n=20000, m=8, k=2, accs=None, coverage=0.5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    accs = np.asarray(accs if accs is not None else np.linspace(0.55, 0.9, m))
    wrong = (y[:, None] + rng.integers(1, k, (n, len(accs)))) % k
    votes = np.where(rng.random((n, len(accs))) < accs[None, :], y[:, None], wrong)
    return np.where(rng.random((n, len(accs))) < coverage, votes, -1), y, accs


@pytest.mark.parametrize(
    "name", ["majority-vote", "weighted-vote", "dawid-skene", "matrix-completion", "triplet"]
)
def test_entry_points(name):
    assert weasul.create("label_models", name, n_classes=2).fit(generated(n=500)[0]).n_classes_ == 2


@pytest.mark.parametrize("cls", ALL)
def test_bad_inputs_raise_weasul_errors(cls):
    L, _, _ = generated(n=200, m=5)
    for bad in (
        L.astype(str),
        np.where(L == 1, 2, L),
        np.column_stack([L, np.full(len(L), -1)]),
        L[:1],
        L[:, 0],
    ):
        with pytest.raises(WeasulError):
            cls(n_classes=2).fit(bad)


@pytest.mark.parametrize("k", [2, 3])
def test_matrix_completion_recovers_source_accuracies(k):
    L, y, accs = generated(k=k)
    mc = MatrixCompletion(n_classes=k).fit(L)
    cond = mc.conditional_probs()  # (m, vote, y)
    est = np.array([np.mean([cond[j, c, c] for c in range(k)]) for j in range(L.shape[1])]) / 0.5
    np.testing.assert_allclose(est, accs, atol=0.03)
    assert (mc.predict(L) == y).mean() > (MajorityVote().fit(L).predict(L) == y).mean() + 0.02


def test_matrix_completion_all_abstain_rows_get_prior():
    L, _, _ = generated(n=2000)
    mc = MatrixCompletion(class_prior=[0.3, 0.7]).fit(L)
    np.testing.assert_allclose(mc.predict_proba(np.full((3, L.shape[1]), -1)), [[0.3, 0.7]] * 3)
    p = MatrixCompletion().fit(L, y_dev=np.r_[np.zeros(10, int), np.ones(30, int), np.zeros(1960, int)])
    assert p.class_prior_[0] > 0.9


def test_matrix_completion_cliques_and_errors():
    L, y, _ = generated(n=5000, m=5)
    mc = MatrixCompletion(cliques=[[0, 1]]).fit(L)
    assert (mc.predict(L) == y).mean() > 0.75
    with pytest.raises(SpecError):
        MatrixCompletion(cliques=[[0, 1], [1, 2]]).fit(L)
    with pytest.raises(DataError):
        MatrixCompletion(cliques=[[0, 9]]).fit(L)
    with pytest.raises(DataError):
        MatrixCompletion(cliques=[[0, 1, 2, 3, 4]]).fit(L)  # one unit: nothing to complete


def test_expert_penalty_pulls_towards_expert_labels():
    L, y, _ = generated(n=4000, m=5, accs=[0.6, 0.65, 0.7, 0.75, 0.8], seed=3)
    base = MatrixCompletion().fit(L)
    wrong = np.flatnonzero(base.predict(L) != y)[:8]
    expert = ExpertLabels(wrong, y[wrong])
    penalised = MatrixCompletion(alpha=1e3).fit(L, expert=expert)
    problem = penalised.build_problem(L, expert)
    assert problem.expert_penalty(penalised.z_) < problem.expert_penalty(base.z_) - 0.1
    assert (penalised.predict(L[wrong]) == y[wrong]).mean() > 0
    # alpha = 0 ignores the expert labels
    np.testing.assert_allclose(MatrixCompletion().fit(L, expert=expert).z_, base.z_)
    with pytest.raises(DataError):
        MatrixCompletion(alpha=1.0).fit(L, expert=ExpertLabels(np.array([len(L)]), np.array([0])))


def test_extra_loss_hook_is_used():
    class Shrunk(MatrixCompletion):
        def extra_loss(self, problem: MCProblem, z: np.ndarray) -> float:
            return super().extra_loss(problem, z) + 100.0 * float(np.sum(z * z))

        def extra_loss_grad(self, problem: MCProblem, z: np.ndarray) -> np.ndarray:
            return 200.0 * z

    L, _, _ = generated(n=3000, m=6)
    plain, shrunk = MatrixCompletion().fit(L), Shrunk().fit(L)
    assert np.linalg.norm(shrunk.z_) < 0.9 * np.linalg.norm(plain.z_)
    problem = plain.build_problem(L)
    assert problem.curvature(plain.z_).shape == plain.z_.shape and (problem.curvature(plain.z_) >= 0).all()
    warm = MatrixCompletion(warm_start=True).fit(L)
    assert np.allclose(warm.fit(L).z_, warm.z_)


def test_dawid_skene_beats_majority_vote_on_crowd_matrix():
    rng = np.random.default_rng(0)
    n, m = 3000, 500
    y = rng.integers(0, 2, n)
    kind = rng.random(m)
    acc = np.where(
        kind < 0.6, rng.uniform(0.7, 0.95, m), np.where(kind < 0.85, 0.55, rng.uniform(0.2, 0.4, m))
    )
    votes = np.where(rng.random((n, m)) < acc, y[:, None], 1 - y[:, None])
    L = np.where(rng.random((n, m)) < 0.02, votes, -1)
    L = L[:, (L != -1).any(axis=0)]
    ds = DawidSkene(model_abstain=False).fit(L)
    mv_acc = (MajorityVote().fit(L).predict(L) == y).mean()
    ds_acc = (ds.predict(L) == y).mean()
    assert ds_acc > mv_acc + 0.05, (ds_acc, mv_acc)
    assert ds.confusion_.shape == (L.shape[1], 2, 3)  # last column: abstain (not modelled here)
    assert (ds.confusion_[:, :, 2] == 1).all()


def test_dawid_skene_multiclass_confusion():
    L, y, accs = generated(n=8000, m=6, k=3, accs=[0.9, 0.85, 0.8, 0.6, 0.5, 0.45], coverage=0.8)
    ds = DawidSkene(n_classes=3).fit(L)
    diag = ds.confusion_[:, np.arange(3), np.arange(3)]  # P(vote = y | y, votes): abstains not modelled
    np.testing.assert_allclose(diag.mean(axis=1), accs, atol=0.05)
    assert (ds.predict(L) == y).mean() > 0.85


def test_triplet_recovers_accuracies_and_is_binary_only():
    L, y, accs = generated(n=30000, m=6, accs=[0.95, 0.9, 0.8, 0.7, 0.65, 0.6])
    tr = Triplet().fit(L)
    np.testing.assert_allclose(tr.accuracies_, accs, atol=0.03)
    assert (tr.predict(L) == y).mean() > (MajorityVote().fit(L).predict(L) == y).mean()
    with pytest.raises(DataError):
        Triplet(n_classes=3).fit(generated(n=300, k=3)[0])


def _spam():
    from weasul.testing import shared_data

    folder = shared_data("activeweasul", "spam")
    return np.load(folder / "L_train.npy"), np.load(folder / "L_test.npy"), np.load(folder / "Y_test.npy")


def test_real_spam_matches_snorkel_reference():
    L_train, L_test, y_test = _spam()
    acc = (MatrixCompletion(n_classes=2).fit(L_train).predict(L_test) == y_test).mean()
    assert acc >= 0.844 - 0.005  # Snorkel LabelModel's reference accuracy, shared/data/README.md


def _one_class_lfs(n=5000, k=6, per=8, seed=1):
    """TREC-like: every LF votes one class only; coverages log-uniform from 0.2% to 40%, so
    some LFs vote on a handful of rows. Returns L, y and the naive-Bayes accuracy with the true
    conditional probabilities (the best any class-conditional model can do)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    cls = np.repeat(np.arange(k), per)
    hit = np.exp(rng.uniform(np.log(0.002), np.log(0.4), cls.size))  # P(vote | its class)
    false = hit * rng.uniform(0.02, 0.3, cls.size)  # P(vote | another class)
    fires = rng.random((n, cls.size)) < np.where(y[:, None] == cls[None, :], hit, false)
    L = np.where(fires, cls[None, :], -1)
    keep = fires.any(axis=0)
    L, cls, hit, false = L[:, keep], cls[keep], hit[keep], false[keep]
    logit = fires[:, keep] @ (np.log(hit / false)[:, None] * (cls[:, None] == np.arange(k)[None, :]))
    return L, y, float((logit.argmax(axis=1) == y).mean())


@pytest.mark.parametrize("seed", [1, 3])
def test_matrix_completion_multiclass_with_rare_one_class_lfs(seed):
    """Regression: Eq. 1 in raw covariance units let LFs with a few votes dominate (0.29 and 0.37
    here, trec 0.162); on the correlation matrix it comes close to the Bayes rule."""
    L, y, bayes = _one_class_lfs(seed=seed)
    assert (L != -1).sum(axis=0).min() <= 5  # some LFs are nearly silent
    acc = (MatrixCompletion(n_classes=6).fit(L).predict(L) == y).mean()
    assert acc > bayes - 0.06, (acc, bayes)


def test_real_trec_multiclass_matches_snorkel_reference():
    from weasul.testing import shared_data

    folder = shared_data("wrench", "trec")
    ds = weasul.create("datasets", "wrench", path=str(folder), drop_labeled_ids=True).load()
    keep = ~(ds.train.L == -1).all(axis=0)
    mc = MatrixCompletion(n_classes=6).fit(ds.train.L[:, keep])
    acc = (mc.predict(ds.test.L[:, keep]) == ds.test.y).mean()
    assert acc >= 0.470 - 0.005, acc  # Snorkel LabelModel's reference accuracy, shared/data/README.md
