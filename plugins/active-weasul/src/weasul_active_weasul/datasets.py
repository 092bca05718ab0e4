"""The three data sets of the paper: `two-gaussians` (synthetic), `spam` and `vrd`."""

from __future__ import annotations

import ast
from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams
from weasul.validation import check_folder

__all__ = ["TwoGaussians", "ActiveWeaSuLSpam", "VisualRelations", "vrd_label_matrix", "vrd_features"]


class TwoGaussians(DatasetLoader):
    """Two balanced 2-D Gaussian classes (paper Sec. 4.1, Fig. 1) with the paper's three LFs.

    Class 0 is centred at (0.1, 1.3), class 1 at (-0.8, -0.5), standard deviation 0.5. LFs
    (1 = class 1): LF 0 `x2 < 0.4`, LF 1 `x1 < -0.3`, LF 2 `x1 < -1`. LFs 1 and 2 both read
    x1 and are dependent given y: declare `cliques: [[1, 2]]` (`DEPENDENCIES`).
    """

    DEPENDENCIES: ClassVar[list[list[int]]] = [[1, 2]]

    class Params(WeasulParams):
        n_train: int = Field(10_000, ge=10)
        n_test: int = Field(3_000, ge=10)
        prior: float = Field(0.5, gt=0, lt=1, description="P(y = 1)")
        centroids: list[list[float]] = [[0.1, 1.3], [-0.8, -0.5]]
        scale: float = Field(0.5, gt=0)
        seed: int = 0

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return [cls(n_train=200, n_test=50)]

    @staticmethod
    def labeling_functions(X: np.ndarray) -> np.ndarray:
        """(n, 3) label matrix of the paper's LFs on features (n, 2)."""
        return np.column_stack([X[:, 1] < 0.4, X[:, 0] < -0.3, X[:, 0] < -1.0]).astype(np.int64)

    def _sample(self, n: int, stream: int) -> Split:
        p = self.params
        centroids = np.asarray(p.centroids, dtype=np.float64)
        if centroids.shape != (2, 2):
            raise DataError(f"centroids must be two 2-D points, got shape {centroids.shape}")
        rng = np.random.default_rng([p.seed, stream])
        y = (rng.random(n) < p.prior).astype(np.int64)
        X = centroids[y] + rng.normal(0.0, p.scale, (n, 2))
        return Split(L=self.labeling_functions(X), y=y, X=X)

    def load(self) -> Dataset:
        return Dataset(
            "two-gaussians",
            {"train": self._sample(self.params.n_train, 0), "test": self._sample(self.params.n_test, 1)},
            ("0", "1"),
        )


class ActiveWeaSuLSpam(DatasetLoader):
    """YouTube spam with the first 7 LFs of the Snorkel tutorial (the paper's Sec. 4.2 set):
    `L_*.npy`, `Y_*.npy` and bag-of-words `X_*.npz` (sparse CSR). As in the paper, training
    rows on which every LF abstains are dropped (1586 -> 1162); the paper uses P(spam) = 0.58.
    """

    PRIOR: ClassVar[list[float]] = [0.42, 0.58]

    class Params(WeasulParams):
        path: str = Field(
            description="folder with L_train.npy, Y_train.npy, X_train.npz, ... (activeweasul/spam)"
        )
        drop_all_abstain: bool = Field(True, description="drop training rows on which every LF abstains")

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def load(self) -> Dataset:
        import scipy.sparse

        folder = check_folder(self.params.path)
        splits = {}
        for split in ("train", "test"):
            files = [folder / f"L_{split}.npy", folder / f"Y_{split}.npy", folder / f"X_{split}.npz"]
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise DataError(f"{folder} lacks {', '.join(missing)}; is it the activeweasul/spam folder?")
            L = np.load(files[0], allow_pickle=False).astype(np.int64)
            y = np.load(files[1], allow_pickle=False).astype(np.int64).ravel()
            X = scipy.sparse.load_npz(files[2]).astype(np.float64).tocsr()
            if not (len(L) == len(y) == X.shape[0]):
                raise DataError(f"{split}: L, Y and X have {len(L)}, {len(y)} and {X.shape[0]} rows")
            if split == "train" and self.params.drop_all_abstain:
                keep = (L != -1).any(axis=1)
                L, y, X = L[keep], y[keep], X[keep]
            splits[split] = Split(L=L, y=y, X=X)
        return Dataset("activeweasul-spam", splits, ("ham", "spam"))


_SIT_OBJECTS = ("bench", "chair", "floor", "horse", "grass", "table")


def _boxes(column: Any) -> np.ndarray:
    try:
        return np.array([ast.literal_eval(str(v)) for v in column], dtype=np.float64).reshape(-1, 4)
    except (ValueError, SyntaxError) as err:
        raise DataError(f"bounding boxes must look like '(ymin, ymax, xmin, xmax)': {err}") from err


def vrd_label_matrix(items: Any) -> np.ndarray:
    """(n, 3) the paper's Table 1 LFs (1 = sitting on, 0 = other), never abstaining:
    0: subject area / object area < 0.8; 1: distance between the boxes > 100 votes other;
    2: subject is a person and the object one of bench, chair, floor, horse, grass, table.
    LFs 0 and 1 read the same boxes and are dependent given y: `cliques: [[0, 1]]`."""
    sub, obj = _boxes(items["subject_bbox"]), _boxes(items["object_bbox"])

    def area(b: np.ndarray) -> np.ndarray:
        result: np.ndarray = (b[:, 1] - b[:, 0]) * (b[:, 3] - b[:, 2])
        return result

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = area(sub) / area(obj)
    lf_area = np.where(np.isfinite(ratio) & (ratio < 0.8), 1, 0)
    lf_dist = np.where(np.linalg.norm(sub - obj, axis=1) > 100, 0, 1)
    person = items["subject_category"].astype(str).to_numpy() == "person"
    lf_cat = np.where(person & items["object_category"].astype(str).isin(_SIT_OBJECTS).to_numpy(), 1, 0)
    return np.column_stack([lf_area, lf_dist, lf_cat]).astype(np.int64)


def vrd_features(items: Any, categories: list[str]) -> np.ndarray:
    """Box and category features (no images): box coordinates, sizes, relative position,
    log area ratio and distance (scaled by 1000 pixels), one-hot subject and object category."""
    sub, obj = _boxes(items["subject_bbox"]) / 1000.0, _boxes(items["object_bbox"]) / 1000.0

    def geometry(b: np.ndarray) -> np.ndarray:
        h, w = b[:, 1] - b[:, 0], b[:, 3] - b[:, 2]
        return np.column_stack([b, h, w, np.log(np.maximum(h * w, 1e-6))])

    def centre(b: np.ndarray) -> np.ndarray:
        return np.column_stack([(b[:, 0] + b[:, 1]) / 2, (b[:, 2] + b[:, 3]) / 2])

    rel = centre(sub) - centre(obj)
    g_s, g_o = geometry(sub), geometry(obj)
    extra = np.column_stack([rel, g_s[:, -1] - g_o[:, -1], np.linalg.norm(sub - obj, axis=1)])
    index = {c: i for i, c in enumerate(categories)}
    onehot = np.zeros((len(items), 2 * len(categories)))
    for offset, column in ((0, "subject_category"), (len(categories), "object_category")):
        cols = np.array([index.get(str(c), -1) for c in items[column]])
        hit = cols >= 0
        onehot[np.flatnonzero(hit), offset + cols[hit]] = 1.0
    return np.column_stack([g_s, g_o, extra, onehot])


class VisualRelations(DatasetLoader):
    """Visual Relationship Detection candidates, y = 1 iff the subject sits on the object
    (paper Sec. 4.2 and A.3): the three spatial/categorical LFs of Table 1 on the boxes and
    categories, and box + category features for the end model (no images)."""

    DEPENDENCIES: ClassVar[list[list[int]]] = [[0, 1]]

    class Params(WeasulParams):
        path: str = Field(description="folder with vrd_train_set.csv and vrd_test_set.csv (activeweasul/vrd)")

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def load(self) -> Dataset:
        import pandas as pd

        folder = check_folder(self.params.path)
        frames = {}
        for split in ("train", "test"):
            file = folder / f"vrd_{split}_set.csv"
            if not file.is_file():
                raise DataError(f"{folder} has no {file.name}; is it the activeweasul/vrd folder?")
            frame = pd.read_csv(file)
            needed = {"subject_category", "object_category", "subject_bbox", "object_bbox", "y"}
            if not needed <= set(frame.columns):
                raise DataError(f"{file} lacks columns {sorted(needed - set(frame.columns))}")
            frames[split] = frame
        train = frames["train"]
        categories = sorted(
            set(train["subject_category"].astype(str)) | set(train["object_category"].astype(str))
        )
        splits = {
            split: Split(
                L=vrd_label_matrix(frame),
                y=frame["y"].to_numpy(dtype=np.int64),
                X=vrd_features(frame, categories),
                items=frame,
            )
            for split, frame in frames.items()
        }
        return Dataset("vrd", splits, ("other", "sitting on"))
