"""The factor tables against a literal transcription of the paper's appendix B (binary)."""

import itertools

import numpy as np
import pytest
from weasul_factor_graph.factors import (
    DEPENDENCY_TYPES,
    accuracy_table,
    dependency_table,
    posterior_constant,
)


def paper_factor(kind: str, lj: int, lk: int, y: int) -> int:
    """Appendix B in the paper's notation: lambda in {-1, 0, 1}, y in {-1, 1}."""
    if kind == "similar":  # Ratner et al. 2016
        return int(lj == lk)
    if kind == "fixing":
        return 1 if (lj == -y and lk == y) else -1 if (lj == 0 and lk != 0) else 0
    if kind == "reinforcing":
        return 1 if (lj == lk == y) else -1 if (lj == 0 and lk != 0) else 0
    if kind == "priority":
        return 1 if (lj == -y and lk == y) else -1 if (lj == y and lk == -y) else 0
    if kind == "bolstering":  # "lambda_j = lambda_k != y" read as both voting -y (see factors.py)
        return 1 if (lj == lk == y) else -1 if (lj == lk == -y or (lj == -lk and lj != 0)) else 0
    if kind == "negated":
        return (
            1 if (lj == -y and lk == y) else -1 if ((lj == y and lk == -y) or (lj == lk and lj != 0)) else 0
        )
    raise KeyError(kind)


STATE = {-1: 1, 0: 0, 1: 2}  # paper vote -> state (weasul class 0 = paper -1)
CLASS = {-1: 0, 1: 1}


@pytest.mark.parametrize("kind", DEPENDENCY_TYPES)
def test_dependency_tables_match_the_paper(kind):
    table = dependency_table(kind, 2)
    for lj, lk, y in itertools.product((-1, 0, 1), (-1, 0, 1), (-1, 1)):
        assert table[STATE[lj], STATE[lk], CLASS[y]] == paper_factor(kind, lj, lk, y), (kind, lj, lk, y)


def test_accuracy_table_is_lambda_times_y():
    table = accuracy_table(2)
    for lam, y in itertools.product((-1, 0, 1), (-1, 1)):
        assert table[STATE[lam], CLASS[y]] == lam * y


def test_symmetric_types_are_symmetric_and_asymmetric_are_not():
    for kind in DEPENDENCY_TYPES:
        table = dependency_table(kind, 3)
        symmetric = np.array_equal(table, table.transpose(1, 0, 2))
        assert symmetric == (kind in {"similar", "bolstering"}), kind


def test_multiclass_tables_reduce_to_right_wrong_abstain():
    t = dependency_table("fixing", 3)
    # j votes class 2 (wrong for y=0), k votes class 0 (right): +1; j abstains, k votes: -1
    assert t[3, 1, 0] == 1 and t[0, 2, 1] == -1 and t[1, 1, 0] == 0


def test_posterior_constants():
    assert {k: posterior_constant(k) for k in DEPENDENCY_TYPES} == {
        "similar": 0.0,
        "fixing": 1.0,
        "reinforcing": 1.0,
        "priority": 2.0,
        "bolstering": 2.0,
        "negated": 2.0,
    }
