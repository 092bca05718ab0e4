"""Sixteen expert-style rules on the UCI bank-marketing columns (`bank-full.csv`), written as a
campaign analyst would: coarse thresholds on single columns or simple pairs. Each votes 1 when
it fires and abstains otherwise; `bank_mapping.yaml` maps each to its concepts.

They are a constructed stand-in for the production fraud rules of the paper (no fraud data is
available here): deliberately broad, so the concept labels they imply are noisy with respect to
the stricter human definition in `weasul_concepts.bank.golden_concepts`.
"""

from __future__ import annotations

from typing import Any

from weasul.lf import ABSTAIN, labeling_function

FIRED = 1
CLASS_NAMES = ["absent", "present"]


def _when(condition: bool) -> int:
    return FIRED if condition else ABSTAIN


@labeling_function()
def long_call(row: Any) -> int:
    """The last call lasted 5 minutes or more."""
    return _when(row.duration >= 300)


@labeling_function()
def very_long_call(row: Any) -> int:
    """The last call lasted 10 minutes or more."""
    return _when(row.duration >= 600)


@labeling_function()
def previous_success(row: Any) -> int:
    """The previous campaign converted the client."""
    return _when(row.poutcome == "success")


@labeling_function()
def recently_contacted(row: Any) -> int:
    """The client was contacted by a previous campaign within the last 6 months."""
    return _when(0 <= row.pdays <= 180)


@labeling_function()
def many_previous_contacts(row: Any) -> int:
    """Three or more contacts before this campaign."""
    return _when(row.previous >= 3)


@labeling_function()
def high_balance(row: Any) -> int:
    """Yearly average balance of 3000 EUR or more."""
    return _when(row.balance >= 3000)


@labeling_function()
def unencumbered_saver(row: Any) -> int:
    """No housing or personal loan and a balance of 1000 EUR or more."""
    return _when(row.housing == "no" and row.loan == "no" and row.balance >= 1000)


@labeling_function()
def tertiary_manager(row: Any) -> int:
    """A manager with tertiary education (a proxy for income)."""
    return _when(row.job == "management" and row.education == "tertiary")


@labeling_function()
def double_loan(row: Any) -> int:
    """Both a housing and a personal loan."""
    return _when(row.housing == "yes" and row.loan == "yes")


@labeling_function()
def credit_default(row: Any) -> int:
    """Credit in default."""
    return _when(row.default == "yes")


@labeling_function()
def overdrawn(row: Any) -> int:
    """A negative balance."""
    return _when(row.balance < 0)


@labeling_function()
def student(row: Any) -> int:
    """The client is a student."""
    return _when(row.job == "student")


@labeling_function()
def senior(row: Any) -> int:
    """The client is 60 or older."""
    return _when(row.age >= 60)


@labeling_function()
def off_peak_month(row: Any) -> int:
    """Contacted outside the busy summer campaign months."""
    return _when(row.month in ("mar", "apr", "sep", "oct", "dec"))


@labeling_function()
def repeated_calls(row: Any) -> int:
    """Four or more calls in this campaign."""
    return _when(row.campaign >= 4)


@labeling_function()
def unknown_channel(row: Any) -> int:
    """Contact channel not recorded (the cold-call lists)."""
    return _when(row.contact == "unknown")
