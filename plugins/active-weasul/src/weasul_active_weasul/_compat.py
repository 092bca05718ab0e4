"""Temporary shim: matrix completion with only two conditionally independent units.

`weasul_baselines.MatrixCompletion.build_problem` refuses label matrices with fewer than three
units because Eq. 1 alone does not identify the model then. Active WeaSuL's synthetic set has
exactly two (LF 1, and the clique of LFs 2-3): the expert penalty (Eq. 3) is what identifies
it. Until MatrixCompletion lets a subclass lower that limit (requested: a class attribute
`min_units`), this builds the same `MCProblem` without the check, from the names the public
`weasul_baselines.matrix_completion` module exposes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weasul.data import ExpertLabels
from weasul.errors import DataError

__all__ = ["two_unit_problem"]


def two_unit_problem(model: Any, L: np.ndarray, expert: ExpertLabels | None) -> Any:
    """The MCProblem that `MatrixCompletion.build_problem` would build, for two units."""
    try:
        from weasul_baselines import matrix_completion as mc

        check_fit_matrix, check_cliques = mc.check_fit_matrix, mc.check_cliques
        build_layout, indicator_matrix, factor_matrix = mc.build_layout, mc.indicator_matrix, mc.factor_matrix
        select_columns, resolve_prior, check_labels = mc._select_columns, mc.resolve_prior, mc.check_labels
    except (ImportError, AttributeError) as err:  # the shim no longer matches weasul-baselines
        raise DataError(
            "active-weasul with only two independent LF groups needs weasul-baselines' matrix-completion "
            f"internals that this version does not have ({err}); add a labeling function"
        ) from err
    p = model.params
    L, k = check_fit_matrix(L, p.n_classes)
    n, m = L.shape
    layout = build_layout(L, k, check_cliques(p.cliques, m))
    if int(np.unique(layout.col_unit).size) < 2:
        raise DataError("active-weasul needs at least 2 conditionally independent LF groups that vote")
    psi = indicator_matrix(L, layout)
    mean = np.asarray(psi.sum(axis=0)).ravel() / n
    sigma_all = (psi.T @ psi).toarray() / n - np.outer(mean, mean)
    keep = select_columns(sigma_all, tol=1e-8)
    sigma = sigma_all[np.ix_(keep, keep)]
    sigma_inv = np.linalg.inv(sigma)
    sigma_inv = 0.5 * (sigma_inv + sigma_inv.T)
    expand = sigma_all[:, keep] @ sigma_inv
    expand[keep] = np.eye(keep.size)
    unit = layout.col_unit[keep]
    prior = resolve_prior(p.class_prior, k)
    eps = p.mu_eps if p.mu_eps is not None else min(0.01, 10.0 ** -np.ceil(np.log10(n)))
    problem = mc.MCProblem(
        layout=layout,
        n_items=n,
        prior=np.full(k, 1.0 / k) if prior is None else prior,
        mean=mean,
        keep=keep,
        expand=expand,
        sigma=sigma,
        sigma_inv=sigma_inv,
        mask=(unit[:, None] != unit[None, :]).astype(np.float64),
        eps=float(eps),
    )
    if expert is not None and len(expert):
        idx = np.asarray(expert.indices, dtype=np.int64)
        if idx.min() < 0 or idx.max() >= n:
            raise DataError(f"expert indices must be rows of L (0..{n - 1}); got {int(idx.min())}..{int(idx.max())}")
        problem.expert = ExpertLabels(idx, check_labels(expert.labels, n_classes=k, name="expert.labels"))
        problem.expert_factors = factor_matrix(L[idx], layout)
    problem._L = L
    problem._psi = psi
    return problem
