"""`weasul new-plugin`: a package that installs with `pip install -e` and passes the kit as is.

`contrib/template` in the repository is this generator's output for a label model, kept in
sync by a test.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from weasul.errors import SpecError

__all__ = ["INTERFACES", "new_plugin", "render"]

#: interface option -> (ABC name, entry-point group)
INTERFACES = {
    "label_model": ("LabelModel", "label_models"),
    "query_strategy": ("QueryStrategy", "query_strategies"),
    "anomaly_scorer": ("AnomalyScorer", "anomaly_scorers"),
    "encoder": ("Encoder", "encoders"),
    "slice_head": ("SliceHead", "slice_heads"),
    "error_finder": ("ErrorFinder", "error_finders"),
}

_BODIES = {
    "label_model": '''
class {cls}(LabelModel):
    """Majority vote with the class prior for rows where every source abstains."""

    class Params(LabelModelParams):
        pass

    params: Params

    def fit(self, L, *, y_dev=None, expert=None):
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = infer_n_classes(L, self.params.n_classes)
        counts = np.array([(L == c).sum() for c in range(self.n_classes_)], dtype=float)
        prior = self.params.class_prior or (counts + 1) / (counts + 1).sum()
        self.class_prior_ = np.asarray(prior, dtype=float)
        return self

    def predict_proba(self, L):
        self.check_fitted()
        L = check_label_matrix(L, n_classes=self.n_classes_, allow_silent_sources=True)
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1).astype(float)
        top = votes == votes.max(axis=1, keepdims=True)
        probs = top / top.sum(axis=1, keepdims=True)
        empty = votes.sum(axis=1) == 0
        probs[empty] = self.class_prior_
        return probs
''',
    "query_strategy": '''
class {cls}(QueryStrategy):
    """Least confident first: the unlabelled items whose top probability is lowest."""

    class Params(QueryParams):
        pass

    params: Params

    def select(self, state, budget):
        pool = state.unlabelled()
        confidence = np.asarray(state.probs)[pool].max(axis=1)
        order = np.argsort(confidence, kind="stable")
        return pool[order[:budget]]
''',
    "anomaly_scorer": '''
class {cls}(AnomalyScorer):
    """Distance from the mean in standardised units."""

    class Params(WeasulParams):
        pass

    params: Params

    def fit(self, X):
        X = check_features(X)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        return self

    def score(self, X):
        self.check_fitted()
        X = check_features(X)
        return np.linalg.norm((X - self.mean_) / self.scale_, axis=1)
''',
    "encoder": '''
class {cls}(Encoder):
    """Standardises features to zero mean and unit variance."""

    class Params(WeasulParams):
        pass

    params: Params

    def fit(self, X, y=None, *, groups=None):
        X = check_features(X)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        return self

    def encode(self, X):
        self.check_fitted()
        return (check_features(X) - self.mean_) / self.scale_
''',
    "slice_head": '''
class {cls}(SliceHead):
    """Nearest class centroid; checks the slice matrix but does not use it."""

    class Params(WeasulParams):
        n_classes: int | None = None

    params: Params

    def fit(self, X, y, S):
        X = check_features(X)
        y = check_labels(y, n_items=len(X), n_classes=self.params.n_classes)
        _check_slices(S, len(X))
        k = self.params.n_classes or int(y.max()) + 1
        self.centroids_ = np.stack([X[y == c].mean(axis=0) if (y == c).any() else X.mean(axis=0) for c in range(k)])
        return self

    def predict_proba(self, X, S):
        self.check_fitted()
        X = check_features(X)
        _check_slices(S, len(X))
        d = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)
        z = np.exp(-(d - d.min(axis=1, keepdims=True)))
        return z / z.sum(axis=1, keepdims=True)


def _check_slices(S, n):
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] != n:
        raise DataError(f"S must have shape ({{n}}, k+1), got {{S.shape}}")
''',
    "error_finder": '''
class {cls}(ErrorFinder):
    """Flags items whose given label is less probable than another class (margin < 0)."""

    class Params(WeasulParams):
        pass

    params: Params

    def find(self, labels, pred_probs):
        probs = check_probs(pred_probs)
        labels = check_labels(labels, n_classes=probs.shape[1])
        check_same_length(labels=labels, pred_probs=probs)
        n, k = probs.shape
        given = probs[np.arange(n), labels]
        others = probs.copy()
        others[np.arange(n), labels] = -np.inf
        margin = given - others.max(axis=1)
        ranked = np.flatnonzero(margin < 0)
        ranked = ranked[np.argsort(margin[ranked], kind="stable")]
        suggested = probs.argmax(axis=1)
        joint = np.zeros((k, k))
        np.add.at(joint, (labels, suggested), 1)
        noise = joint / np.maximum(joint.sum(axis=0, keepdims=True), 1)
        rates = 1 - np.diag(joint) / np.maximum(joint.sum(axis=1), 1)
        return LabelIssues(ranked, margin, suggested, noise, rates, joint)
''',
}

_IMPORTS = {
    "label_model": "from weasul import LabelModel, LabelModelParams\nfrom weasul.validation import check_label_matrix, infer_n_classes",
    "query_strategy": "from weasul import QueryParams, QueryStrategy",
    "anomaly_scorer": "from weasul import AnomalyScorer, WeasulParams\nfrom weasul.validation import check_features",
    "encoder": "from weasul import Encoder, WeasulParams\nfrom weasul.validation import check_features",
    "slice_head": "from weasul import DataError, SliceHead, WeasulParams\nfrom weasul.validation import check_features, check_labels",
    "error_finder": "from weasul import ErrorFinder, LabelIssues, WeasulParams\nfrom weasul.validation import check_labels, check_probs, check_same_length",
}

_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A weasul {interface} plugin."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["weasul-core>=0.1,<0.2", "numpy>=1.24"]

[project.entry-points."weasul.{group}"]
{name} = "{module}.{stem}:{cls}"

[tool.setuptools.package-data]
{module} = ["py.typed"]
"""

_README = """# {dist}

A weasul `{abc}` plugin, registered as `{group}/{name}`.

    pip install -e .
    weasul plugins --group {group}
    python -m pytest tests            # the conformance kit
    python benchmarks/bench_{stem}.py  # fit time as JSON

Replace the body of `src/{module}/{stem}.py` with your method; keep `Params` for every
parameter, heavy imports inside methods, and the conformance test passing.
"""

_MODULE = '''"""{abc} plugin `{name}`."""

from __future__ import annotations

import numpy as np

{imports}

__all__ = ["{cls}"]

{body}'''

_INIT = '''"""{dist}: the `{group}/{name}` plugin for weasul."""

from {module}.{stem} import {cls}

__all__ = ["{cls}"]
'''

_TEST = """from weasul.testing import parametrize_with_checks

from {module} import {cls}


@parametrize_with_checks([{cls}()])
def test_conformance(plugin, check):
    check(plugin)
"""

_BENCH = '''"""Time one fit/predict cycle of `{name}` on generated data; prints JSON."""

import json
import time

import numpy as np

from weasul.testing import checks

from {module} import {cls}

if __name__ == "__main__":
    plugin = {cls}()
    start = time.perf_counter()
    checks._exercise(plugin)
    print(json.dumps({{"plugin": "{name}", "seconds": round(time.perf_counter() - start, 4)}}))
'''


def _names(name: str, interface: str) -> dict[str, str]:
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        raise SpecError(
            f"plugin name '{name}' must be kebab-case: lowercase letters, digits and single dashes"
        )
    if interface not in INTERFACES:
        raise SpecError(f"unknown interface '{interface}'; choose one of {', '.join(INTERFACES)}")
    stem = name.replace("-", "_")
    if keyword.iskeyword(stem):
        raise SpecError(f"plugin name '{name}' is a Python keyword")
    abc, group = INTERFACES[interface]
    cls = "".join(part.capitalize() for part in name.split("-")) + abc
    return {
        "name": name,
        "dist": f"weasul-{name}",
        "module": f"weasul_{stem}",
        "stem": stem,
        "cls": cls,
        "abc": abc,
        "group": group,
        "interface": interface,
    }


def render(name: str, interface: str) -> dict[str, str]:
    """Relative path -> file content of the package for `name` implementing `interface`."""
    n = _names(name, interface)
    body = _BODIES[interface].format(cls=n["cls"]).lstrip("\n")
    return {
        "pyproject.toml": _PYPROJECT.format(**n),
        "README.md": _README.format(**n),
        f"src/{n['module']}/__init__.py": _INIT.format(**n),
        f"src/{n['module']}/py.typed": "",
        f"src/{n['module']}/{n['stem']}.py": _MODULE.format(imports=_IMPORTS[interface], body=body, **n),
        f"tests/test_{n['stem']}_conformance.py": _TEST.format(**n),
        f"benchmarks/bench_{n['stem']}.py": _BENCH.format(**n),
    }


def new_plugin(name: str, interface: str, parent: str | Path = ".") -> Path:
    """Write the package into `parent/<name>`; refuses to overwrite an existing folder."""
    files = render(name, interface)
    folder = Path(parent) / name
    if folder.exists():
        raise SpecError(f"{folder} already exists; choose another name or remove it")
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return folder
