"""Factor tables of the data-programming factor graph (Ratner et al. 2016; Cachay et al. 2021, app. B).

An LF's vote is held as a *state* ``s = L + 1``: 0 = abstain, ``c + 1`` = votes class ``c``
(weasul's label matrix uses classes ``0..K-1`` and -1 for abstain). The paper writes binary
votes as ``lambda in {-1, 0, +1}`` and ``y in {-1, +1}``; weasul's class 0 is the paper's -1
and class 1 its +1. With that mapping every table below equals the paper's factor exactly
for K = 2, and generalises to K classes by reading "lambda = y" as *votes the true class*
(right), "lambda = -y" as *votes another class* (wrong) and "lambda_j = -lambda_k != 0" as
*both vote, for different classes*.

Tables are indexed ``[s_j, s_k, y]`` (dependency) or ``[s, y]`` (accuracy). For the
asymmetric dependency types, ``(type, j, k)`` means **LF k acts on LF j** (k fixes,
reinforces, is prioritised over, or negates j), as in the paper's appendix B.

Definitions (right/wrong/abstain relative to y):

- accuracy:     +1 right, -1 wrong, 0 abstain (the paper's ``lambda_j * y``)
- similar:      1{s_j == s_k} (y-independent; both abstaining counts, as in Snorkel 0.6)
- fixing:       +1 if j wrong and k right; -1 if j abstains and k votes
- reinforcing:  +1 if j right and k right; -1 if j abstains and k votes
- priority:     +1 if j wrong and k right; -1 if j right and k wrong
- bolstering:   +1 if both right; -1 if both vote the same wrong class, or both vote and disagree
- negated:      +1 if j wrong and k right; -1 if (j right and k wrong), or both vote the same class

Bolstering reads the paper's "lambda_j = lambda_k != y" as *both vote the same wrong class*:
taken literally it would also fire (-1) whenever both LFs abstain, which would make the
strength proxy of every sparse LF pair hugely negative, contradicting the paper's Table 1
(``best``/``great`` bolstering: +801).
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import numpy as np

__all__ = [
    "DEPENDENCY_TYPES",
    "SYMMETRIC_TYPES",
    "Y_DEPENDENT_TYPES",
    "accuracy_table",
    "dependency_table",
    "dependency_tables",
    "posterior_constant",
]

#: Every dependency type the factor graph models, in a fixed order.
DEPENDENCY_TYPES: tuple[str, ...] = ("similar", "fixing", "reinforcing", "priority", "bolstering", "negated")
#: Types whose factor does not change when j and k are swapped.
SYMMETRIC_TYPES: frozenset[str] = frozenset({"similar", "bolstering"})
#: Types whose factor value depends on y (only these move the posterior p(y | lambda)).
Y_DEPENDENT_TYPES: frozenset[str] = frozenset(DEPENDENCY_TYPES) - {"similar"}


def _states(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = k + 1
    a = np.arange(s)[:, None, None]
    b = np.arange(s)[None, :, None]
    y = np.arange(k)[None, None, :]
    return a, b, y


@lru_cache(maxsize=32)
def accuracy_table(n_classes: int) -> np.ndarray:
    """(K+1, K) float: +1 where the state votes y, -1 where it votes another class, 0 abstain."""
    k = n_classes
    s = np.arange(k + 1)[:, None]
    y = np.arange(k)[None, :]
    table = np.where(s == 0, 0.0, np.where(s == y + 1, 1.0, -1.0))
    table.setflags(write=False)
    return table


@lru_cache(maxsize=128)
def dependency_table(kind: str, n_classes: int) -> np.ndarray:
    """(K+1, K+1, K) float table of one dependency type, indexed ``[s_j, s_k, y]``.

    Raises KeyError for an unknown type (callers validate names first).
    """
    a, b, y = _states(n_classes)
    a_right, b_right = a == y + 1, b == y + 1
    a_votes, b_votes = a != 0, b != 0
    a_wrong, b_wrong = a_votes & ~a_right, b_votes & ~b_right
    shape = (n_classes + 1, n_classes + 1, n_classes)
    if kind == "similar":
        plus, minus = np.broadcast_to(a == b, shape), np.zeros(shape, bool)
    elif kind == "fixing":
        plus, minus = a_wrong & b_right, ~a_votes & b_votes
    elif kind == "reinforcing":
        plus, minus = a_right & b_right, ~a_votes & b_votes
    elif kind == "priority":
        plus, minus = a_wrong & b_right, a_right & b_wrong
    elif kind == "bolstering":
        plus = a_right & b_right
        minus = (a_wrong & (a == b)) | (a_votes & b_votes & (a != b))
    elif kind == "negated":
        plus = a_wrong & b_right
        minus = (a_right & b_wrong) | (a_votes & (a == b))
    else:
        raise KeyError(kind)
    table = np.broadcast_to(plus, shape).astype(float) - np.broadcast_to(minus, shape).astype(float)
    table.setflags(write=False)
    return cast(np.ndarray, table)


def dependency_tables(kinds: tuple[str, ...] | list[str], n_classes: int) -> np.ndarray:
    """(len(kinds), K+1, K+1, K) stacked tables, one per entry of `kinds`."""
    if not kinds:
        return np.zeros((0, n_classes + 1, n_classes + 1, n_classes))
    return np.stack([dependency_table(kind, n_classes) for kind in kinds])


@lru_cache(maxsize=32)
def posterior_constant(kind: str) -> float:
    """max over votes of |phi(lambda, y) - phi(lambda, -y)| for binary y.

    The paper's proof of Eq. 3 assumes this is at most 1 for every dependency ("indicator
    functions != 0 for only one y"). It is 0 for `similar`, 1 for `fixing` and
    `reinforcing`, but 2 for `priority`, `bolstering` and `negated`, whose factor is +1 for one
    y and -1 for the other on the same votes. The corrected bounds weight each dependency by
    this constant.
    """
    table = dependency_table(kind, 2)
    return float(np.abs(table[:, :, 1] - table[:, :, 0]).max())
