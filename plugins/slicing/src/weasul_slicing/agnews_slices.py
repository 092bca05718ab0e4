"""AG News topics with keyword slice functions (the shared `text-domains/news_agnews` data).

The shared folder holds AG News's *test* split only (7600 rows, 1900 per topic; CSV rows
`class, title, description`, class 1..4 = World, Sports, Business, Sci/Tech). `load_agnews` splits
it once, stratified with a fixed seed, into train 4600 / valid 1000 / test 2000; `text` is
title + " " + description, lower-cased, with the CSV's backslash line breaks turned into spaces.

The slice functions are keyword patterns on `row.text` where topics meet (oil and markets between
World and Business, technology companies between Business and Sci/Tech, ...). They read the text
only, never a label, and were picked where a backbone on TF-IDF features erred most on the *valid*
split (the test split was not looked at); see the README for the numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from weasul_slicing.sf import slicing_function

__all__ = [
    "CLASS_NAMES",
    "SLICE_FUNCTIONS",
    "airline",
    "drug",
    "election",
    "load_agnews",
    "oil",
    "tech_company",
]

CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
SIZES = {"train": 4600, "valid": 1000, "test": 2000}


def load_agnews(path: str | Path) -> dict[str, Any]:
    """{"train", "valid", "test"}: DataFrames with `text` and `label` (0..3), split stratified by
    topic with seed 0 from `path/test.csv`."""
    import pandas as pd

    frame = pd.read_csv(Path(path) / "test.csv", header=None, names=["label", "title", "description"])
    text = (frame["title"].astype(str) + " " + frame["description"].astype(str)).str.replace("\\", " ")
    frame = pd.DataFrame({"text": text.str.lower().str.split().str.join(" "), "label": frame["label"] - 1})
    rng = np.random.default_rng(0)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SIZES}
    for k in range(len(CLASS_NAMES)):
        rows = rng.permutation(np.flatnonzero(frame["label"].to_numpy() == k))
        a, b = SIZES["train"] // 4, (SIZES["train"] + SIZES["valid"]) // 4
        parts["train"].append(rows[:a])
        parts["valid"].append(rows[a:b])
        parts["test"].append(rows[b:])
    return {s: frame.iloc[np.sort(np.concatenate(p))].reset_index(drop=True) for s, p in parts.items()}


def _has(pattern: re.Pattern[str], row: Any) -> int:
    return int(bool(pattern.search(str(row.text))))


_OIL = re.compile(r"\b(oil|crude|opec|barrel)")
_TECH_COMPANY = re.compile(
    r"\b(microsoft|google|apple|ibm|intel|yahoo|oracle|sony|amazon|ebay|dell|hp|aol)\b"
)
_DRUG = re.compile(r"\b(drug|fda|cancer|health|vaccine|medical|pharma\w*)\b")
_ELECTION = re.compile(r"\b(election|vote|president|bush|kerry)\b")
_AIRLINE = re.compile(r"\b(airline\w*|airways|boeing|airbus|flight)\b")


@slicing_function()
def oil(row: Any) -> int:
    """Oil and crude prices: World (producers, conflicts) or Business (markets)."""
    return _has(_OIL, row)


@slicing_function()
def tech_company(row: Any) -> int:
    """A technology company by name: Business (results, deals) or Sci/Tech (products)."""
    return _has(_TECH_COMPANY, row)


@slicing_function()
def drug(row: Any) -> int:
    """Drugs and health: Sci/Tech (research), Business (pharma firms) or World (health policy)."""
    return _has(_DRUG, row)


@slicing_function()
def election(row: Any) -> int:
    """Elections and presidents: mostly World, but also Business (markets) and Sci/Tech (e-voting)."""
    return _has(_ELECTION, row)


@slicing_function()
def airline(row: Any) -> int:
    """Airlines and aircraft makers: Business, World (crashes, security) or Sci/Tech."""
    return _has(_AIRLINE, row)


#: The slice functions in column order (S column j + 1 = SLICE_FUNCTIONS[j]).
SLICE_FUNCTIONS = (oil, tech_company, drug, election, airline)
