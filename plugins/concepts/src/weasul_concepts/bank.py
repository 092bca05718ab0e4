"""The constructed stand-in experiment on UCI bank marketing (`bank-full.csv`).

No fraud data (the paper's) exists here, so the experiment is rebuilt on a public table with a
real decision label: did the client subscribe a term deposit (`y`, 11.7% yes). Around it:

- 16 expert-style rules (`weasul_concepts.bank_rules`) and a 7-concept taxonomy with a
  rule-to-concept mapping (`bank_mapping.yaml`): the noisy concept labels of distant supervision;
- `golden_concepts`: the "human" annotation, a stricter definition of each concept that reads
  the record as a whole (documented per concept below). It differs from the rules on purpose,
  in the ways rules and annotators differ: rules fire on one broad signal (a 5-minute call, a
  recent contact, age 60), the annotator asks for the evidence the concept means (a long call
  that was not one of many attempts, an actual earlier conversion, a retired or student client).

`datasets/bank-concepts` gives train/valid/test splits with the rows (`items`), encoded
features (`X`), the decision (`y`) and, as `L`, the golden concept labels (n, 7): on the train
split only for `annotated` rows (the small human-labelled subset; -1 elsewhere), on valid and
test for every row (the golden evaluation sets).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams

from weasul_concepts.mapping import RuleConceptMapping

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAPPING_PATH",
    "RULES_MODULE",
    "CATEGORICAL",
    "NUMERIC",
    "golden_concepts",
    "noisy_concepts",
    "encode",
    "describe",
    "BankData",
    "load_bank",
    "BankConcepts",
]

#: The packaged rule-to-concept mapping and the module of rules it maps.
MAPPING_PATH = Path(__file__).with_name("bank_mapping.yaml")
RULES_MODULE = "weasul_concepts.bank_rules"

CATEGORICAL = ("poutcome", "job", "marital", "education", "default", "housing", "loan", "contact", "month")
NUMERIC = ("day", "campaign", "duration", "pdays", "previous", "age", "balance")
LABEL = "y"


def golden_concepts(frame: pd.DataFrame) -> np.ndarray:
    """(n, 7) 0/1: the stricter "human" definition of each concept of `bank_mapping.yaml`.

    - engaged_call: a call of 7.5 minutes or more that was one of at most 3 calls this campaign
      (talk time on one of many attempts is not engagement).
    - prior_success: the previous campaign converted the client (poutcome success); a recent or
      repeated contact alone is not a success.
    - savings_capacity: balance >= 5000 EUR, or >= 1500 EUR with no loan and no default
      (education and job are not evidence of savings).
    - debt_burden: credit in default, an overdraft beyond 300 EUR, or both loans with under
      1000 EUR balance (two loans with a large balance are not a burden).
    - life_stage: the client is retired or a student (by occupation, not by age).
    - favourable_timing: an off-peak month (mar, sep, oct, dec; April is as busy as the summer
      in the annotator's reading) and reached on the mobile (cellular).
    - contact_fatigue: 6 or more calls this campaign, or 3 or more with a last call under
      2 minutes (short repeated calls); the contact channel alone is not fatigue.
    """
    f = frame
    balance, duration, campaign = f["balance"], f["duration"], f["campaign"]
    no_loans = (f["housing"] == "no") & (f["loan"] == "no") & (f["default"] == "no")
    both_loans = (f["housing"] == "yes") & (f["loan"] == "yes")
    columns = [
        (duration >= 450) & (campaign <= 3),
        f["poutcome"] == "success",
        (balance >= 5000) | ((balance >= 1500) & no_loans),
        (f["default"] == "yes") | (balance < -300) | (both_loans & (balance < 1000)),
        f["job"].isin(["retired", "student"]),
        f["month"].isin(["mar", "sep", "oct", "dec"]) & (f["contact"] == "cellular"),
        (campaign >= 6) | ((campaign >= 3) & (duration < 120)),
    ]
    return np.column_stack([np.asarray(c, dtype=np.int64) for c in columns])


def noisy_concepts(frame: pd.DataFrame, mapping_path: str | Path = MAPPING_PATH) -> np.ndarray:
    """(n, k) 0/1 noisy concept labels: the bank rules applied with weasul's labeling-function
    machinery, mapped to concepts by the YAML mapping (distant supervision, paper Sec. 3.2)."""
    from weasul.lf import apply_lfs

    from weasul_concepts.rules import ConceptRules

    pack = ConceptRules(module=RULES_MODULE, mapping_path=str(mapping_path))
    rules = pack.rules()
    L = apply_lfs(rules, frame)
    return pack.mapping().concept_labels(L, [r.name for r in rules])


def encode(frame: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Float32 features: one-hot categories (those of `reference`) and standardised numbers
    (signed log1p for the heavy-tailed counts and amounts, statistics of `reference`)."""
    import pandas as pd

    def numbers(f: pd.DataFrame) -> np.ndarray:
        cols = []
        for name in NUMERIC:
            v = f[name].to_numpy(dtype=np.float64)
            cols.append(np.sign(v) * np.log1p(np.abs(v)) if name != "day" else v)
        cols.append((f["pdays"] < 0).to_numpy(dtype=np.float64))  # never contacted before
        return np.column_stack(cols)

    ref = numbers(reference)
    mean, std = ref.mean(axis=0), ref.std(axis=0) + 1e-9
    parts = [(numbers(frame) - mean) / std]
    for name in CATEGORICAL:
        levels = sorted(pd.unique(reference[name]))
        parts.append((frame[name].to_numpy()[:, None] == np.asarray(levels)[None, :]).astype(np.float64))
    return np.concatenate(parts, axis=1).astype(np.float32)


class BankData:
    """The bank experiment's splits as plain arrays, with noisy and golden concept labels."""

    def __init__(
        self, frames: dict[str, pd.DataFrame], annotated: np.ndarray, mapping_path: str | Path
    ) -> None:
        train = frames["train"]
        self.names = list(RuleConceptMapping.from_yaml(mapping_path).concepts)
        self.items = {s: f.drop(columns=[LABEL]).reset_index(drop=True) for s, f in frames.items()}
        self.X = {s: encode(f, train) for s, f in frames.items()}
        self.y = {s: (f[LABEL] == "yes").to_numpy().astype(np.int64) for s, f in frames.items()}
        self.noisy = {s: noisy_concepts(f, mapping_path) for s, f in frames.items()}
        self.golden_full = {s: golden_concepts(f) for s, f in frames.items()}
        self.annotated = annotated
        self.golden = {**self.golden_full, "train": self.annotate(annotated)}

    def annotate(self, rows: np.ndarray) -> np.ndarray:
        """Train golden labels as the human subset `rows` gives them: -1 on every other row."""
        golden = np.full_like(self.golden_full["train"], -1)
        golden[rows] = self.golden_full["train"][rows]
        return golden


def load_bank(
    path: str | Path,
    *,
    annotated: int = 500,
    rows: int | None = None,
    seed: int = 0,
    mapping_path: str | Path = MAPPING_PATH,
    fractions: tuple[float, float, float] = (0.65, 0.15, 0.20),
) -> BankData:
    """Read bank-full.csv, optionally keep a stratified sample of `rows`, split train/valid/test
    (stratified by y, seeded) and mark `annotated` random train rows as golden-annotated."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    file = Path(path)
    if not file.is_file():
        raise DataError(f"bank data '{file}' does not exist (expected bank-full.csv of UCI bank marketing)")
    frame = pd.read_csv(file)
    missing = [c for c in (*CATEGORICAL, *NUMERIC, LABEL) if c not in frame]
    if missing:
        raise DataError(f"{file}: missing columns {missing}")
    if rows is not None and rows < len(frame):
        frame, _ = train_test_split(frame, train_size=rows, stratify=frame[LABEL], random_state=seed + 7)
    train, rest = train_test_split(frame, train_size=fractions[0], stratify=frame[LABEL], random_state=seed)
    valid, test = train_test_split(
        rest, train_size=fractions[1] / (1 - fractions[0]), stratify=rest[LABEL], random_state=seed
    )
    frames = {s: f.reset_index(drop=True) for s, f in (("train", train), ("valid", valid), ("test", test))}
    if not 0 < annotated < len(frames["train"]):
        raise DataError(
            f"annotated must be between 1 and the {len(frames['train'])} train rows, got {annotated}"
        )
    chosen = np.sort(np.random.default_rng(seed).choice(len(frames["train"]), annotated, replace=False))
    return BankData(frames, chosen, mapping_path)


class BankConcepts(DatasetLoader):
    """UCI bank marketing as the concept experiment: items, encoded X, y (subscribed) and the
    golden concept labels as L (train: only `annotated` rows, -1 elsewhere; valid/test: all)."""

    class Params(WeasulParams):
        path: str = Field(description="bank-full.csv (UCI bank marketing, ';' replaced by ',')")
        annotated: int = Field(500, ge=1, description="train rows with golden concept labels")
        rows: int | None = Field(None, ge=100, description="a stratified sample of this many rows")
        mapping_path: str = Field(
            str(MAPPING_PATH), description="the rule-to-concept mapping (concept names)"
        )
        seed: int = 0

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []  # needs the shared data file

    def load(self) -> Dataset:
        p = self.params
        data = load_bank(p.path, annotated=p.annotated, rows=p.rows, seed=p.seed, mapping_path=p.mapping_path)
        splits = {
            s: Split(L=data.golden[s], y=data.y[s], X=data.X[s], items=data.items[s]) for s in data.items
        }
        return Dataset("bank-concepts", splits, ("no", "yes"))


def describe(data: BankData) -> dict[str, Any]:
    """Per concept: prevalence of the noisy and golden labels on test, and their agreement."""
    out: dict[str, Any] = {}
    noisy, gold = data.noisy["test"], data.golden_full["test"]
    for c, name in enumerate(data.names):
        both = (noisy[:, c] == 1) & (gold[:, c] == 1)
        out[name] = {
            "noisy_rate": float(noisy[:, c].mean()),
            "golden_rate": float(gold[:, c].mean()),
            "precision_of_noisy": float(both.sum() / max(1, noisy[:, c].sum())),
            "recall_of_noisy": float(both.sum() / max(1, gold[:, c].sum())),
        }
    return out
