"""Write a small generated data set for the example specs: examples/data/{L,Y,X}_{split}.npy.

Five sources vote with accuracy 0.85 down to 0.65 and coverage 0.6; X are two Gaussian blobs.
"""

from pathlib import Path

import numpy as np


def main() -> None:
    rng = np.random.default_rng(0)
    folder = Path(__file__).resolve().parent / "data"
    folder.mkdir(exist_ok=True)
    centers = rng.normal(0, 2, (2, 8))
    accuracy = np.array([0.85, 0.8, 0.75, 0.7, 0.65])
    for split, n in (("train", 2000), ("test", 500)):
        y = rng.integers(0, 2, n)
        votes = np.where(rng.random((n, 5)) < accuracy, y[:, None], 1 - y[:, None])
        L = np.where(rng.random((n, 5)) < 0.6, votes, -1)
        X = centers[y] + rng.normal(0, 1, (n, 8))
        np.save(folder / f"L_{split}.npy", L)
        np.save(folder / f"Y_{split}.npy", y)
        np.save(folder / f"X_{split}.npy", X)
    print(f"wrote {folder}")


if __name__ == "__main__":
    main()
