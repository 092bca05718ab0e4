"""Matrix completion with many classes (issue 13, item 5): one binary Eq. 1 per class above
`joint_max_classes`, on generated data with a known answer."""

import numpy as np
import pytest
from weasul_baselines import MajorityVote, MatrixCompletion
from weasul_baselines import matrix_completion as mc_module


def _symmetric(k, n, m, seed=0, coverage=0.5):
    """Source j right with probability accs[j], else a uniformly drawn other class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    accs = np.linspace(0.55, 0.95, m)
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(rng.random((n, m)) < accs, y[:, None], wrong)
    return np.where(rng.random((n, m)) < coverage, L, -1), y


def _accuracies(model, L):
    """Estimated P(vote right | votes) per source from the fitted table and prior."""
    cp = model.conditional_probs()
    return np.einsum("jyy,y->j", cp, model.class_prior_) / (L >= 0).mean(axis=0)


def _empirical(L, y):
    on = L >= 0
    return ((L == y[:, None]) & on).sum(axis=0) / on.sum(axis=0)


def _oracle_accuracy(L, y, k):
    """Accuracy of the posterior under the true accuracies of `_symmetric` (uniform prior)."""
    accs = np.linspace(0.55, 0.95, L.shape[1])
    weight = np.log(accs * (k - 1) / (1 - accs))
    score = np.zeros((L.shape[0], k))
    rows, cols = np.nonzero(L >= 0)
    np.add.at(score, (rows, L[rows, cols]), weight[cols])
    return (score.argmax(axis=1) == y).mean()


@pytest.mark.parametrize("anchor", [0.0, 0.3])
def test_one_vs_rest_matches_the_joint_fit_at_ten_classes(anchor):
    L, y = _symmetric(10, 20_000, 10)
    joint = MatrixCompletion(n_classes=10, anchor=anchor).fit(L)
    ovr = MatrixCompletion(n_classes=10, anchor=anchor, joint_max_classes=2).fit(L)
    assert (joint.formulation_, ovr.formulation_) == ("joint", "one-vs-rest")
    a_joint, a_ovr = _accuracies(joint, L), _accuracies(ovr, L)
    assert np.abs(a_ovr - a_joint).max() < 0.01
    if anchor == 0:  # Eq. 1 alone recovers the sources' accuracies (the anchor pulls to majority vote)
        assert np.abs(a_ovr - _empirical(L, y)).max() < 0.02
    # wrong votes: P(lambda_j = v | y) = (1 - acc_j) coverage / (K - 1) for every v != y
    off = ovr.conditional_probs()[:, ~np.eye(10, dtype=bool)]
    truth = (1 - np.linspace(0.55, 0.95, 10)) * 0.5 / 9
    assert np.abs(off - truth[:, None]).max() < 0.01
    p_joint, p_ovr = joint.predict(L), ovr.predict(L)
    assert (p_joint == p_ovr).mean() > 0.99  # they differ on near ties (0.7% of rows)
    assert abs((p_ovr == y).mean() - (p_joint == y).mean()) < 0.003


def test_many_classes_fit_one_vs_rest_without_the_joint_moments(monkeypatch):
    """K = 200: the (m K x m K) moments of the joint fit are never built (they cost O(n (mK)^2)
    to sum and O((mK)^3) per solver step); the fit recovers the sources and beats majority vote."""

    def refuse(*args, **kwargs):
        raise AssertionError("joint moments built")

    monkeypatch.setattr(mc_module, "_weighted_moments", refuse)
    L, y = _symmetric(200, 40_000, 12)
    model = MatrixCompletion(n_classes=200, anchor=0.0).fit(L)
    assert model.formulation_ == "one-vs-rest"
    assert np.abs(_accuracies(model, L) - _empirical(L, y)).max() < 0.03
    mv = (MajorityVote(n_classes=200).fit(L).predict(L) == y).mean()
    acc = (model.predict(L) == y).mean()
    assert acc >= mv + 0.003 and acc >= _oracle_accuracy(L, y, 200) - 0.002
    assert model.log_theta_.shape == (12 * 200, 200) and model.z_.shape == (12 * 200, 1)


def test_default_many_classes_with_an_uneven_prior_and_inferred_k():
    rng = np.random.default_rng(3)
    k, n, m = 30, 30_000, 10
    prior = rng.dirichlet(np.full(k, 2.0))
    y = rng.choice(k, n, p=prior)
    accs = rng.uniform(0.5, 0.9, m)
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(rng.random((n, m)) < accs, y[:, None], wrong)
    L = np.where(rng.random((n, m)) < 0.6, L, -1)
    model = MatrixCompletion().fit(L)  # K inferred from L
    assert model.n_classes_ == k and model.formulation_ == "one-vs-rest"
    joint = MatrixCompletion(joint_max_classes=k).fit(L)
    assert joint.formulation_ == "joint"
    np.testing.assert_allclose(model.class_prior_, joint.class_prior_)  # the same default prior rule
    assert np.corrcoef(model.class_prior_, prior)[0, 1] > 0.9  # the votes' shares, shrunk to uniform
    weight = np.log(accs * (k - 1) / (1 - accs))  # the posterior under the true model
    score = np.tile(np.log(prior), (n, 1))
    rows, cols = np.nonzero(L >= 0)
    np.add.at(score, (rows, L[rows, cols]), weight[cols])
    oracle = (score.argmax(axis=1) == y).mean()  # 0.957
    mv = (MajorityVote(n_classes=k).fit(L).predict(L) == y).mean()  # 0.940
    acc, acc_joint = (model.predict(L) == y).mean(), (joint.predict(L) == y).mean()  # 0.955, 0.924
    assert acc >= oracle - 0.005 and acc >= mv + 0.01 and acc >= acc_joint, (acc, oracle, mv, acc_joint)
    with_dev = MatrixCompletion().fit(L, y_dev=y[:3000])
    dev_prior = (np.bincount(y[:3000], minlength=k) + 1.0) / (3000 + k)
    np.testing.assert_allclose(with_dev.class_prior_, dev_prior)


def test_joint_fit_kept_where_one_vs_rest_does_not_apply():
    """Cliques, expert labels and subclasses' hooks are written for the joint problem."""
    from weasul.data import ExpertLabels

    L, y = _symmetric(12, 3000, 6)
    assert MatrixCompletion(n_classes=12, cliques=[[0, 1]]).fit(L).formulation_ == "joint"
    expert = ExpertLabels(np.arange(5), y[:5])
    assert MatrixCompletion(n_classes=12).fit(L, expert=expert).formulation_ == "joint"

    class Started(MatrixCompletion):  # e.g. Active WeaSuL overrides init_z, solve, extra_loss
        def init_z(self, problem):
            return 0.9 * super().init_z(problem)

    assert Started(n_classes=12).fit(L).formulation_ == "joint"
    assert MatrixCompletion(n_classes=12).fit(L).formulation_ == "one-vs-rest"


def test_classes_voted_by_one_or_two_sources_keep_the_majority_vote_start(tmp_path):
    L, y = _symmetric(15, 6000, 8)
    L[:, 2:][L[:, 2:] == 14] = -1  # only sources 0 and 1 vote class 14
    L[:, 1:][L[:, 1:] == 13] = -1  # only source 0 votes class 13
    model = MatrixCompletion(n_classes=15).fit(L)
    cp = model.conditional_probs()
    assert np.isfinite(cp).all() and cp.min() >= 0 and cp.max() <= 1
    assert (cp[2:, 14] == 0).all() and (cp[1:, 13] == 0).all()  # never voted: no estimate
    assert cp[0, 13, 13] > cp[0, 13, :13].max()  # its votes for 13 still point at 13
    rows = (L[:, 0] == 13) & ((L[:, 1:] == -1).all(axis=1))
    assert rows.any() and (model.predict(L[rows]) == 13).all()
    back = MatrixCompletion.load(model.save(tmp_path / "mc.safetensors"))
    np.testing.assert_allclose(back.predict_proba(L[:200]), model.predict_proba(L[:200]))
    assert back.formulation_ == "one-vs-rest"


def test_partitions_and_partial_fit_give_the_in_memory_one_vs_rest_fit():
    """The one-vs-rest statistics (same-class co-votes, K x m x m) sum over partitions, dense or
    sparse, as the joint ones do."""
    from weasul.statistics import fit_from_statistics, map_sum_over
    from weasul.validation import to_sparse_votes

    L, _ = _symmetric(40, 6000, 9, seed=4)
    model = MatrixCompletion(n_classes=40)
    memory = model.clone().fit(L)
    parts = list(np.split(L, [1, 1, 700, 2500, 4100]))
    parts[3] = to_sparse_votes(parts[3])
    many = fit_from_statistics(model.clone(), map_sum_over(parts), L.shape[1])
    streamed = model.clone()
    for part in parts:
        streamed.partial_fit(part)
    for other in (many, streamed):
        assert other.formulation_ == "one-vs-rest"
        for name in ("z_", "log_theta_", "class_prior_", "single_col_"):
            np.testing.assert_allclose(getattr(other, name), getattr(memory, name), rtol=0, atol=1e-8)
        np.testing.assert_allclose(other.predict_proba(L), memory.predict_proba(L), rtol=0, atol=1e-8)
    L3, _ = _symmetric(3, 3000, 6, seed=5)
    forced = MatrixCompletion(n_classes=3, joint_max_classes=2)
    split = fit_from_statistics(forced.clone(), map_sum_over(np.array_split(L3, 3)), 6)
    assert split.formulation_ == "one-vs-rest"
    np.testing.assert_allclose(split.log_theta_, forced.clone().fit(L3).log_theta_, rtol=0, atol=1e-8)
