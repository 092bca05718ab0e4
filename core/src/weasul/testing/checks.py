"""Contract checks, one function per behaviour; `checks_for(plugin)` yields those that apply.

Checks test the contract (shapes, dtypes, ranges, determinism, errors, persistence, light
import, no network), never exact message wording.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata as md
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from weasul.builtin.oracles import GoldOracle
from weasul.data import ExpertLabels, LabelIssues, QueryState
from weasul.errors import DataError, NotFittedError, PluginContractError, WeasulError
from weasul.immutability import check_unchanged, fingerprint_inputs
from weasul.interfaces import (
    AnomalyScorer,
    Classifier,
    Encoder,
    ErrorFinder,
    LabelModel,
    LabelModelParams,
    Oracle,
    QueryStrategy,
    SliceHead,
)
from weasul.plugin import Plugin
from weasul.steps import Step, StepContext, step_class
from weasul.testing import samples
from weasul.validation import check_label_matrix, infer_n_classes

__all__ = ["HEAVY_MODULES", "Check", "checks_for"]

Check = Callable[[Plugin], None]
#: Modules a plugin's entry-point module must not import at its top level. pandas and pyarrow
#: count: weasul-core installs them only with its `table` extra.
HEAVY_MODULES = (
    "torch",
    "transformers",
    "cleanlab",
    "pyod",
    "sklearn",
    "snorkel",
    "sentence_transformers",
    "pandas",
    "pyarrow",
)


def _fresh(plugin: Plugin) -> Any:
    return plugin.clone()


def _close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, atol=1e-6, equal_nan=True)


def _dense(x: Any) -> np.ndarray:
    return x.toarray() if hasattr(x, "toarray") else np.asarray(x)


# --- running each interface on sample data ----------------------------------------------
def _exercise(plugin: Any, seed: int = 0) -> Any:
    """Fit on generated data and return the main output, for any interface."""
    k = samples.n_classes_of(plugin)
    if isinstance(plugin, LabelModel):
        L, _ = samples.label_matrix(k=k, seed=seed)
        return plugin.fit(L).predict_proba(L)
    if isinstance(plugin, AnomalyScorer):
        X = samples.inputs_for(plugin, seed)
        return plugin.fit(X).score(X)
    if isinstance(plugin, Encoder):
        X = samples.inputs_for(plugin, seed)
        return _dense(plugin.fit(X).encode(X))
    if isinstance(plugin, SliceHead):
        X, y = samples.features(k=k, seed=seed)
        S = samples.slices(len(X), seed)
        return plugin.fit(X, y, S).predict_proba(X, S)
    if isinstance(plugin, Classifier):
        X, y = samples.features(k=k, seed=seed)
        return plugin.fit(X, y).predict_proba(X)
    if isinstance(plugin, ErrorFinder):
        labels, probs = _noisy_labels(seed)
        return plugin.find(labels, probs).ranked
    if isinstance(plugin, QueryStrategy):
        return plugin.select(_query_state(seed)[0], 3)
    if isinstance(plugin, Oracle):
        return plugin.label(np.array([0, 1]))
    return None


def _noisy_labels(seed: int = 0, n: int = 300, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Confident probabilities with 10% of the given labels flipped (items 0..n/10-1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    probs = np.full((n, k), 0.05 / (k - 1))
    probs[np.arange(n), y] = 0.95
    labels = y.copy()
    flipped = np.arange(n // 10)
    labels[flipped] = (y[flipped] + 1) % k
    return labels, probs


def _query_state(seed: int = 0, n_labelled: int = 12) -> tuple[QueryState, np.ndarray]:
    """A pool of 200 items with `n_labelled` of them, drawn at random (seeded), already answered
    with their gold label; returns the state and the gold labels of the whole pool."""
    L, y = samples.label_matrix(n=200, seed=seed)
    rng = np.random.default_rng(seed)
    p = rng.random(len(L))
    probs = np.column_stack([p, 1 - p])
    start = rng.choice(len(L), size=n_labelled, replace=False)
    return QueryState(L=L, probs=probs, labelled={int(i): int(y[i]) for i in start}), y


# --- generic checks ----------------------------------------------------------------------
def check_params_json_roundtrip(plugin: Plugin) -> None:
    """Params serialise to JSON and back to an equal model; the schema is valid JSON."""
    params = plugin.params
    again = type(params).model_validate_json(params.model_dump_json())
    assert again == params, f"{params!r} != {again!r} after a JSON round trip"
    json.dumps(type(params).model_json_schema())


def check_clone_unfitted(plugin: Plugin) -> None:
    """`clone()` has equal params and no fitted state."""
    twin = plugin.clone()
    assert type(twin) is type(plugin) and twin.params == plugin.params
    assert not twin.fitted_state(), f"clone() carried fitted state {sorted(twin.fitted_state())}"


def _entry_point_modules(plugin: Plugin) -> list[str]:
    """The module of every entry point that names the plugin's class, and the class's module."""
    cls = type(plugin)
    modules = [cls.__module__]
    if plugin.group:
        for ep in md.entry_points(group="weasul." + plugin.group):
            module, _, attr = ep.value.partition(":")
            if attr.strip() == cls.__qualname__ and module.strip() not in modules:
                modules.insert(0, module.strip())
    return modules


def check_light_import(plugin: Plugin) -> None:
    """Importing the plugin's entry-point module in a fresh interpreter pulls in no heavy
    library (HEAVY_MODULES: torch, transformers, cleanlab, pyod, sklearn, pandas, pyarrow, ...)."""
    # the child sees the same import path, so plugins installed only for a test are found too
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p or os.curdir for p in sys.path)}
    for module in _entry_point_modules(plugin):
        code = (
            f"import importlib, json, sys; importlib.import_module({module!r}); "
            f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, f"importing {module} failed:\n{done.stderr[-2000:]}"
        heavy = json.loads(done.stdout.strip().splitlines()[-1])
        assert not heavy, f"importing {module} imports {heavy}; import them inside the method that needs them"


@contextlib.contextmanager
def _no_network() -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args[1:] or kwargs}")

    names = ("create_connection", "getaddrinfo")
    saved = socket.socket.connect, socket.socket.connect_ex, [getattr(socket, n) for n in names]
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    for name in names:
        setattr(socket, name, refuse)
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = saved[0], saved[1]  # type: ignore[method-assign]
        for name, original in zip(names, saved[2], strict=True):
            setattr(socket, name, original)


def check_no_network(plugin: Plugin) -> None:
    """Fitting and predicting on sample data opens no network connection."""
    with _no_network():
        _exercise(_fresh(plugin))


def check_deterministic(plugin: Plugin) -> None:
    """Two fresh instances with the same params give the same output on the same data."""
    first, second = _exercise(_fresh(plugin)), _exercise(_fresh(plugin))
    assert _close(first, second), "same params and seed gave different outputs"


def check_not_fitted(plugin: Plugin) -> None:
    """Using a plugin before `fit` raises NotFittedError."""
    fresh = _fresh(plugin)
    try:
        if isinstance(fresh, LabelModel):
            fresh.predict_proba(samples.label_matrix()[0])
        elif isinstance(fresh, AnomalyScorer):
            fresh.score(samples.inputs_for(fresh))
        elif isinstance(fresh, Encoder):
            fresh.encode(samples.inputs_for(fresh))
        elif isinstance(fresh, SliceHead):
            X, _ = samples.features()
            fresh.predict_proba(X, samples.slices(len(X)))
        elif isinstance(fresh, Classifier):
            fresh.predict_proba(samples.features()[0])
    except NotFittedError:
        return
    raise AssertionError("no NotFittedError before fit()")


def check_save_load(plugin: Plugin) -> None:
    """`save` then `load` gives a plugin with the same params and the same outputs."""
    fitted = _fresh(plugin)
    expected = _exercise(fitted)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        fitted.save(path)
        cls: Any = type(plugin)
        loaded = cls.load(path)
    assert loaded.params == plugin.params
    k = samples.n_classes_of(plugin)
    if isinstance(loaded, LabelModel):
        got = loaded.predict_proba(samples.label_matrix(k=k)[0])
    elif isinstance(loaded, AnomalyScorer):
        got = loaded.score(samples.inputs_for(loaded))
    elif isinstance(loaded, Encoder):
        got = _dense(loaded.encode(samples.inputs_for(loaded)))
    elif isinstance(loaded, SliceHead):
        X, _ = samples.features(k=k)
        got = loaded.predict_proba(X, samples.slices(len(X)))
    else:
        return
    assert _close(expected, got), "outputs changed after save/load"


# --- interface checks --------------------------------------------------------------------
def check_label_model_output(plugin: Plugin) -> None:
    """fit returns self; predict_proba is (n, K) finite, in [0, 1], rows sum to 1; predict in range."""
    model: Any = _fresh(plugin)
    k = samples.n_classes_of(plugin)
    L, y = samples.label_matrix(k=k)
    assert model.fit(L) is model, "fit() must return self"
    P = np.asarray(model.predict_proba(L))
    assert P.shape == (len(L), k), f"predict_proba shape {P.shape}, expected {(len(L), k)}"
    assert np.issubdtype(P.dtype, np.floating) and np.isfinite(P).all()
    assert (P >= -1e-9).all() and (P <= 1 + 1e-9).all() and np.allclose(P.sum(axis=1), 1, atol=1e-6)
    pred = model.predict(L)
    assert pred.shape == (len(L),) and np.issubdtype(pred.dtype, np.integer)
    assert (pred[1:] == y[1:]).mean() > 0.6, "a label model should beat chance on easy generated data"


def check_label_model_bad_input(plugin: Plugin) -> None:
    """Malformed label matrices raise DataError."""
    k = samples.n_classes_of(plugin)
    L, _ = samples.label_matrix(k=k)
    bad = {
        "1-D": L[:, 0],
        "NaN": np.where(L == 0, np.nan, L).astype(float),
        "strings": L.astype(str),
        "empty": L[:0],
        "no votes": np.full_like(L, -1),
    }
    if getattr(plugin.params, "n_classes", None):
        bad["label >= n_classes"] = np.where(L == 0, k, L)
    for what, value in bad.items():
        try:
            _fresh(plugin).fit(value)
        except DataError:
            continue
        raise AssertionError(f"fit() accepted a label matrix with {what}")


def check_label_model_n_sources(plugin: Plugin) -> None:
    """predict_proba on a matrix with fewer or more sources than `fit` saw raises DataError."""
    k = samples.n_classes_of(plugin)
    L, _ = samples.label_matrix(k=k)
    model: Any = _fresh(plugin).fit(L)
    wrong = {"one source fewer": L[:, :-1], "one source more": np.column_stack([L, L[:, 0]])}
    for what, bad in wrong.items():
        try:
            model.predict_proba(bad)
        except DataError:
            continue
        raise AssertionError(
            f"predict_proba accepted {bad.shape[1]} sources after fit() on {L.shape[1]} ({what}); "
            "check the number of columns (check_label_matrix) and raise DataError"
        )


def _with_n_classes(plugin: Plugin, k: int) -> Any:
    """A fresh plugin of the same class with `n_classes=k` (a class prior of another length is
    dropped); None when the plugin's Params refuse k (a binary-only model says so)."""
    fields = plugin.params.model_dump()
    fields["n_classes"] = k
    prior = fields.get("class_prior")
    if prior is not None and len(prior) != k:
        fields["class_prior"] = None
    try:
        return type(plugin)(type(plugin.params).model_validate(fields))
    except (WeasulError, ValueError):
        return None


def check_label_model_n_classes(plugin: Plugin) -> None:
    """Given `n_classes=K`, predict_proba is (n, K) even when L votes for fewer classes."""
    k = max(samples.n_classes_of(plugin), 3)
    model = _with_n_classes(plugin, k)
    if model is None:
        return
    L, _ = samples.label_matrix(k=k - 1)
    try:
        model.fit(L)
    except WeasulError:
        return  # refused explicitly (e.g. a binary-only model), not ignored
    P = np.asarray(model.predict_proba(L))
    assert P.shape == (len(L), k), (
        f"with n_classes={k} and votes for classes 0..{k - 2} only, predict_proba has shape "
        f"{P.shape}, expected {(len(L), k)}: n_classes must fix K, not the classes seen in L"
    )
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1, atol=1e-6)


def check_query_select(plugin: Plugin) -> None:
    """Over four calls with a random (seeded) labelled set that grows by each call's picks,
    select returns exactly `budget` distinct in-range ints, none of them already labelled."""
    strategy: Any = _fresh(plugin)
    state, y = _query_state(seed=3)
    labelled = dict(state.labelled)
    for call, budget in enumerate((4, 1, 6, 3), start=1):
        current = QueryState(L=state.L, probs=state.probs, labelled=dict(labelled))
        picked = np.asarray(strategy.select(current, budget))
        where = f"call {call} (budget {budget}, {len(labelled)} labelled)"
        assert picked.ndim == 1 and np.issubdtype(picked.dtype, np.integer), f"{where}: got {picked!r}"
        assert len(picked) == budget, f"{where}: picked {len(picked)} items"
        assert len(set(picked.tolist())) == len(picked), f"{where}: indices must be distinct, got {picked}"
        assert picked.min() >= 0 and picked.max() < len(state.L), f"{where}: index out of range"
        again = sorted(set(picked.tolist()) & set(labelled))
        assert not again, f"{where}: picked {again}, which are already labelled"
        labelled.update({int(i): int(y[i]) for i in picked})


def _fingerprint(value: Any) -> Any:
    """A comparable digest of arrays, containers and dataclasses (for in-place change checks)."""
    if hasattr(value, "toarray"):
        value = value.toarray()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("object", value.shape, tuple(_fingerprint(v) for v in value.ravel().tolist()))
        return (
            value.dtype.str,
            value.shape,
            hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
        )
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _fingerprint(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple((f.name, _fingerprint(getattr(value, f.name))) for f in dataclasses.fields(value))
    return repr(value)


def _untouched(method: str, call: Callable[..., Any], **args: Any) -> Any:
    """Call `call(*args)` and fail naming the argument it changed in place."""
    before = {name: _fingerprint(value) for name, value in args.items()}
    out = call(*args.values())
    for name, value in args.items():
        assert _fingerprint(value) == before[name], (
            f"{method}() changed its input '{name}' in place; the caller's data must stay as it was "
            "(work on a copy: np.array(x) or x.copy())"
        )
    return out


def check_inputs_unchanged(plugin: Plugin) -> None:
    """fit, predict_proba, score, encode, select and find leave the caller's inputs as they were."""
    fresh: Any = _fresh(plugin)
    k = samples.n_classes_of(plugin)
    if isinstance(fresh, LabelModel):
        L, _ = samples.label_matrix(k=k)
        _untouched("fit", fresh.fit, L=L)
        _untouched("predict_proba", fresh.predict_proba, L=L)
    elif isinstance(fresh, (AnomalyScorer, Encoder)):
        X = samples.inputs_for(fresh)
        _untouched("fit", fresh.fit, X=X)
        if isinstance(fresh, AnomalyScorer):
            _untouched("score", fresh.score, X=X)
        else:
            _untouched("encode", fresh.encode, X=X)
    elif isinstance(fresh, SliceHead):
        X, y = samples.features(k=k)
        S = samples.slices(len(X))
        _untouched("fit", fresh.fit, X=X, y=y, S=S)
        _untouched("predict_proba", fresh.predict_proba, X=X, S=S)
    elif isinstance(fresh, Classifier):
        X, y = samples.features(k=k)
        targets = np.eye(k)[y] * 0.8 + 0.2 / k
        _untouched("fit", fresh.fit, X=X, targets=targets)
        _untouched("predict_proba", fresh.predict_proba, X=X)
    elif isinstance(fresh, ErrorFinder):
        labels, probs = _noisy_labels()
        _untouched("find", fresh.find, labels=labels, pred_probs=probs)
    elif isinstance(fresh, QueryStrategy):
        state, _ = _query_state()
        _untouched("select", fresh.select, state=state, budget=3)


def check_scorer_output(plugin: Plugin) -> None:
    """score is (n,) finite floats and a far outlier scores above the median item."""
    scorer: Any = _fresh(plugin)
    X = samples.inputs_for(scorer)
    assert scorer.fit(X) is scorer, "fit() must return self"
    s = np.asarray(scorer.score(X))
    assert s.shape == (len(X),) and np.isfinite(s).all()
    if scorer.input_kind == "features":
        far = np.asarray(X)[:1] + 50.0
        assert scorer.score(far)[0] > np.median(s), "an item far from the data must score as anomalous"


def check_features_bad_input(plugin: Plugin) -> None:
    """NaN features (or non-text for text plugins) raise DataError."""
    fresh: Any = _fresh(plugin)
    if getattr(fresh, "input_kind", "features") == "text":
        bad: Any = [1, 2, 3]
    else:
        bad = samples.features()[0]
        bad[3, 2] = np.nan
    try:
        if isinstance(fresh, SliceHead):
            _, y = samples.features()
            fresh.fit(bad, y, samples.slices(len(bad)))
        elif isinstance(fresh, Classifier):
            fresh.fit(bad, samples.features()[1])
        else:
            fresh.fit(bad)
    except DataError:
        return
    raise AssertionError("fit() accepted NaN features / non-text items")


def check_encoder_output(plugin: Plugin) -> None:
    """encode gives (n, d) finite floats; fit returns self."""
    enc: Any = _fresh(plugin)
    X = samples.inputs_for(enc)
    assert enc.fit(X) is enc, "fit() must return self"
    Z = _dense(enc.encode(X))
    assert Z.ndim == 2 and Z.shape[0] == len(X) and np.isfinite(Z).all()


def check_slice_head_output(plugin: Plugin) -> None:
    """predict_proba is (n, K) rows summing to 1; S with the wrong number of rows is a DataError."""
    head: Any = _fresh(plugin)
    k = samples.n_classes_of(plugin)
    X, y = samples.features(k=k)
    S = samples.slices(len(X))
    assert head.fit(X, y, S) is head
    P = head.predict_proba(X, S)
    assert P.shape == (len(X), k) and np.allclose(P.sum(axis=1), 1, atol=1e-5)
    try:
        head.predict_proba(X, S[:-1])
    except DataError:
        return
    raise AssertionError("predict_proba accepted S with the wrong number of rows")


def check_classifier_output(plugin: Plugin) -> None:
    """Trains on hard labels and on probabilities; predict_proba is (n, K) rows summing to 1."""
    k = samples.n_classes_of(plugin)
    X, y = samples.features(k=k)
    for targets in (y, np.eye(k)[y] * 0.8 + 0.2 / k):
        clf: Any = _fresh(plugin)
        assert clf.fit(X, targets) is clf
        P = clf.predict_proba(X)
        assert P.shape == (len(X), k) and np.allclose(P.sum(axis=1), 1, atol=1e-5)
        assert (P.argmax(axis=1) == y).mean() > 0.8, "should fit separable blobs"


def check_error_finder_output(plugin: Plugin) -> None:
    """Finds most planted label flips; LabelIssues arrays have the documented shapes."""
    labels, probs = _noisy_labels()
    issues = _fresh(plugin).find(labels, probs)
    assert isinstance(issues, LabelIssues)
    n, k = probs.shape
    assert issues.scores.shape == (n,) and issues.suggested.shape == (n,)
    assert issues.noise_matrix.shape == (k, k) and issues.noise_rates.shape == (k,)
    flipped = set(range(n // 10))
    found = set(np.asarray(issues.ranked).tolist())
    assert len(found & flipped) >= 0.8 * len(flipped), "missed most planted label errors"


def check_error_finder_bad_input(plugin: Plugin) -> None:
    """Probabilities that do not sum to 1, NaN, labels out of range, length mismatch: DataError."""
    labels, probs = _noisy_labels()
    cases = {
        "rows not summing to 1": (labels, probs * 2),
        "NaN": (labels, np.where(probs > 0.9, np.nan, probs)),
        "label out of range": (np.where(labels == 0, 7, labels), probs),
        "length mismatch": (labels[:-1], probs),
    }
    for what, (lab, P) in cases.items():
        try:
            _fresh(plugin).find(lab, P)
        except DataError:
            continue
        raise AssertionError(f"find() accepted {what}")


def check_oracle_answers(plugin: Plugin) -> None:
    """label returns one int per queried index."""
    got = np.asarray(_fresh(plugin).label(np.array([0, 1])))
    assert got.shape == (2,) and np.issubdtype(got.dtype, np.integer)


def check_raises_weasul_errors(plugin: Plugin) -> None:
    """An empty input raises a WeasulError, not a bare numpy/IndexError."""
    fresh: Any = _fresh(plugin)
    try:
        if isinstance(fresh, LabelModel):
            fresh.fit(np.zeros((0, 3), dtype=int))
        elif isinstance(fresh, (AnomalyScorer, Encoder)):
            fresh.fit([] if fresh.input_kind == "text" else np.zeros((0, 3)))
        elif isinstance(fresh, ErrorFinder):
            fresh.find(np.zeros(0, dtype=int), np.zeros((0, 2)))
        else:
            return
    except WeasulError:
        return
    raise AssertionError("empty input did not raise a WeasulError")


class _KitVote(LabelModel):
    """Majority vote whose class prior also counts expert answers, so a refit with answers
    changes its fitted state (the step check's model input for an active loop)."""

    class Params(LabelModelParams):
        pass

    params: Params

    def fit(self, L: Any, *, y_dev: Any = None, expert: ExpertLabels | None = None) -> _KitVote:
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = infer_n_classes(L, self.params.n_classes)
        self.n_sources_ = L.shape[1]
        counts = np.array([(L == c).sum() for c in range(self.n_classes_)], dtype=float) + 1
        if expert is not None:
            counts += np.bincount(np.asarray(expert.labels), minlength=self.n_classes_)[: self.n_classes_]
        self.class_prior_ = counts / counts.sum()
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1) + self.class_prior_
        return np.asarray(votes / votes.sum(axis=1, keepdims=True))


def _step_samples(k: int, seed: int, n: int = 240) -> dict[str, Any]:
    """One split of coherent sample artifacts by kind: the same n items everywhere."""
    L, y = samples.label_matrix(n=n, k=k, seed=seed)
    rng = np.random.default_rng(seed + 100)
    X = rng.normal(0, 3, (k, 6))[y] + rng.normal(0, 1, (n, 6))
    probs = np.full((n, k), 0.1 / (k - 1))
    probs[np.arange(n), y] = 0.9
    noisy = y.copy()
    noisy[: n // 10] = (y[: n // 10] + 1) % k
    return {
        "label_matrix": L,
        "labels": y,
        "given_labels": noisy,
        "probs": probs,
        "features": X,
        "text": np.array(samples.texts(n=n, seed=seed), dtype=object),
        "slices": samples.slices(n, seed),
    }


def _step_inputs(step_cls: type[Step[Any]], plugin: Plugin) -> dict[str, Any] | None:
    """Split-wise inputs (train and test) for every input of `step_cls` the kit can make;
    None when a required one is of a kind it cannot make (tables, other models)."""
    k = samples.n_classes_of(plugin)
    splits = {"train": _step_samples(k, 0), "test": _step_samples(k, 1)}
    train = splits["train"]
    inputs: dict[str, Any] = {}
    for name, spec in step_cls.inputs.items():
        if spec.as_param:
            continue
        value: Any = None
        kinds = sorted(spec.kinds, key=lambda kind: kind != getattr(plugin, "input_kind", None))
        for kind in kinds:
            if kind == "model:label_models":
                value = _KitVote(n_classes=k).fit(train["label_matrix"])
            elif kind == "model:oracles":
                value = GoldOracle(y=[int(v) for v in train["labels"]])
            elif kind == "labels" and name == "labels":  # the given labels an error finder checks
                value = {s: v["given_labels"] for s, v in splits.items()}
            elif kind in train:
                value = {s: v[kind] for s, v in splits.items()}
            if value is not None:
                break
        if value is None and spec.required:
            return None
        if value is not None:
            inputs[name] = value
    return inputs


def check_step_inputs_unchanged(plugin: Plugin) -> None:
    """The plugin's step (`weasul.steps.step_class`) runs on sample inputs and leaves them, and
    the models among them, exactly as they were (the engine refuses a step that changes one)."""
    step_cls = step_class(type(plugin))
    inputs = _step_inputs(step_cls, plugin)
    if inputs is None:
        return  # a required input of a kind the kit cannot make; the engine still checks it
    step = step_cls()
    before = fingerprint_inputs(inputs)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = StepContext(
            step_id="kit", out_dir=Path(tmp), class_names=tuple(map(str, range(samples.n_classes_of(plugin))))
        )
        step.run(_fresh(plugin), inputs, ctx)
    try:
        check_unchanged(before, inputs, f"step {step_cls.__name__} of {type(plugin).__name__}")
    except PluginContractError as err:
        raise AssertionError(str(err)) from None


_BY_INTERFACE: list[tuple[type, list[Check]]] = [
    (
        LabelModel,
        [
            check_label_model_output,
            check_label_model_bad_input,
            check_label_model_n_sources,
            check_not_fitted,
            check_deterministic,
        ],
    ),
    (QueryStrategy, [check_query_select, check_deterministic]),
    (AnomalyScorer, [check_scorer_output, check_features_bad_input, check_not_fitted, check_deterministic]),
    (Encoder, [check_encoder_output, check_features_bad_input, check_not_fitted, check_deterministic]),
    (SliceHead, [check_slice_head_output, check_features_bad_input, check_not_fitted, check_deterministic]),
    (Classifier, [check_classifier_output, check_not_fitted, check_deterministic]),
    (ErrorFinder, [check_error_finder_output, check_error_finder_bad_input, check_deterministic]),
    (Oracle, [check_oracle_answers]),
]
_RUNNABLE = tuple(cls for cls, _ in _BY_INTERFACE if cls is not Oracle)


def _has_step(plugin: Plugin) -> bool:
    try:
        step_class(type(plugin))
    except PluginContractError:
        return False
    return True


def checks_for(plugin: Plugin) -> list[Check]:
    """The checks that apply to `plugin`, by interface and capabilities."""
    checks: list[Check] = [check_params_json_roundtrip, check_clone_unfitted, check_light_import]
    for interface, specific in _BY_INTERFACE:
        if isinstance(plugin, interface):
            checks.extend(specific)
    if isinstance(plugin, LabelModel) and "n_classes" in type(plugin.params).model_fields:
        checks.append(check_label_model_n_classes)
    if isinstance(plugin, _RUNNABLE):
        checks.extend([check_inputs_unchanged, check_no_network, check_raises_weasul_errors])
        if _has_step(plugin):
            checks.append(check_step_inputs_unchanged)
        if getattr(plugin, "persistable", False):
            checks.append(check_save_load)
    return checks
