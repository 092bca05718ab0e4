"""The paper's dependency-strength proxy (Sec. 5.1), computed with gold labels.

    v^l_{jk} = sum_i phi_l(lambda_j(x_i), lambda_k(x_i), y_i)

is the empirical value of dependency factor l between LFs j and k over a labelled set: how
much the true labels support modelling that dependency. The paper sorts the candidates of
each type by v (descending) and models the top d of each type. Computed for every pair and
type at once from co-occurrence counts of (vote of j, vote of k, y).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from weasul.errors import DataError, SpecError
from weasul.validation import check_label_matrix, check_labels, infer_n_classes

from weasul_factor_graph.factors import DEPENDENCY_TYPES, SYMMETRIC_TYPES, Y_DEPENDENT_TYPES, dependency_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dependency_strengths", "top_dependencies", "PROXY_TYPES"]

#: The types the paper ranks (Table 1, Fig. 1): every type whose factor depends on y.
PROXY_TYPES: tuple[str, ...] = tuple(t for t in DEPENDENCY_TYPES if t in Y_DEPENDENT_TYPES)


def dependency_strengths(
    L: Any, y: Any, *, types: Sequence[str] = PROXY_TYPES, n_classes: int | None = None
) -> pd.DataFrame:
    """v for every candidate (type, j, k): a DataFrame with columns type, j, k, v, sorted by
    type (in `types` order) then v descending.

    Asymmetric types list both orders (k acts on j); symmetric ones list j < k only.
    Raises DataError for a malformed `L` or `y`, SpecError for an unknown type.
    """
    import pandas as pd

    types = tuple(types)
    for t in types:
        if t not in DEPENDENCY_TYPES:
            raise SpecError(f"unknown dependency type {t!r}; types are {', '.join(DEPENDENCY_TYPES)}")
    L = check_label_matrix(L, n_classes=n_classes, allow_silent_sources=True)
    k = infer_n_classes(L, n_classes)
    y = check_labels(y, n_classes=k, n_items=L.shape[0])
    n, m = L.shape
    s = k + 1
    onehot = np.zeros((n, m, s))
    onehot[np.arange(n)[:, None], np.arange(m)[None, :], L + 1] = 1.0
    flat = onehot.reshape(n, m * s)
    counts = np.stack([flat[y == c].T @ flat[y == c] for c in range(k)])  # (K, mS, mS)
    counts = counts.reshape(k, m, s, m, s)
    jj, kk = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    frames = []
    for t in types:
        v = np.einsum("yjakb,aby->jk", counts, dependency_table(t, k))
        keep = jj < kk if t in SYMMETRIC_TYPES else jj != kk
        frame = pd.DataFrame({"type": t, "j": jj[keep], "k": kk[keep], "v": v[keep]})
        frames.append(frame.sort_values("v", ascending=False, kind="stable"))
    if not frames:
        raise SpecError("types is empty; give at least one dependency type")
    return pd.concat(frames, ignore_index=True)


def top_dependencies(
    strengths: pd.DataFrame, d: int, *, types: Sequence[str] | None = None, positive_only: bool = True
) -> list[tuple[str, int, int]]:
    """The `d` strongest candidates of each type (by v), as (type, j, k) for `FactorGraph`.

    A pair is taken once per type; with `positive_only` candidates with v <= 0 (not
    supported by the gold labels) are never taken, so a type may give fewer than d.
    """
    if d < 0:
        raise DataError(f"d must be >= 0, got {d}")
    missing = {"type", "j", "k", "v"} - set(strengths.columns)
    if missing:
        raise DataError(
            f"strengths table lacks column(s) {sorted(missing)}; pass dependency_strengths()'s output"
        )
    wanted = tuple(dict.fromkeys(strengths["type"])) if types is None else tuple(types)
    out: list[tuple[str, int, int]] = []
    for t in wanted:
        rows = strengths[strengths["type"] == t]
        if positive_only:
            rows = rows[rows["v"] > 0]
        rows = rows.sort_values("v", ascending=False, kind="stable").head(d)
        out.extend((t, int(j), int(k)) for j, k in zip(rows["j"], rows["k"], strict=True))
    return out
