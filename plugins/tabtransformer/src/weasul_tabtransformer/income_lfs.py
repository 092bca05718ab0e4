"""Labeling functions for UCI Adult income (`income_evaluation.csv`): >50K a year or not.

Rules of thumb written from the column descriptions (not fitted to the labels), for the
example spec `examples/tabtransformer-income.yaml`. Classes: 0 = <=50K, 1 = >50K.
"""

from typing import Any

from weasul.lf import ABSTAIN, labeling_function

CLASS_NAMES = ["<=50K", ">50K"]
LOW, HIGH = 0, 1

_ADVANCED = {"Doctorate", "Prof-school", "Masters"}
_LOW_PAY_JOBS = {"Handlers-cleaners", "Other-service", "Priv-house-serv", "Farming-fishing"}


@labeling_function()
def large_capital_gain(row: Any) -> int:
    return HIGH if row["capital-gain"] > 5000 else ABSTAIN


@labeling_function()
def advanced_degree(row: Any) -> int:
    return HIGH if row["education"] in _ADVANCED else ABSTAIN


@labeling_function()
def married_graduate(row: Any) -> int:
    return HIGH if row["relationship"] in ("Husband", "Wife") and row["education-num"] >= 13 else ABSTAIN


@labeling_function()
def never_married(row: Any) -> int:
    return LOW if row["marital-status"] == "Never-married" else ABSTAIN


@labeling_function()
def young(row: Any) -> int:
    return LOW if row["age"] < 25 else ABSTAIN


@labeling_function()
def part_time(row: Any) -> int:
    return LOW if row["hours-per-week"] < 30 else ABSTAIN


@labeling_function()
def low_pay_occupation(row: Any) -> int:
    return LOW if row["occupation"] in _LOW_PAY_JOBS else ABSTAIN


@labeling_function()
def no_high_school(row: Any) -> int:
    return LOW if row["education-num"] <= 8 else ABSTAIN
