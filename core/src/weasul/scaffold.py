"""`weasul new-plugin`: a package that installs with `pip install -e` and passes the kit as is.

`render` writes a new package; `add_plugin` adds a second plugin (module, test, benchmark and
entry point) to a package that exists. `contrib/template` in the repository is `render`'s
output for a label model, kept in sync by a test. The generated code passes `mypy --strict`.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from weasul.errors import SpecError

__all__ = ["INTERFACES", "add_plugin", "interface_key", "new_plugin", "render"]

#: interface key -> (ABC name, entry-point group), for the interfaces the scaffold can write
INTERFACES = {
    "label_model": ("LabelModel", "label_models"),
    "query_strategy": ("QueryStrategy", "query_strategies"),
    "anomaly_scorer": ("AnomalyScorer", "anomaly_scorers"),
    "encoder": ("Encoder", "encoders"),
    "slice_head": ("SliceHead", "slice_heads"),
    "error_finder": ("ErrorFinder", "error_finders"),
}


def _snake(text: str) -> str:
    """`LabelModel`, `label-models`, `Label Model` -> `label_model(s)`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    return re.sub(r"[-\s]+", "_", text).lower()


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, (abc, group) in INTERFACES.items():
        for alias in (key, group, abc.lower(), group.replace("_", "")):
            out[alias] = key
    return out


def interface_key(interface: str) -> str:
    """The INTERFACES key for any usual spelling: the class (`LabelModel`), the group
    (`label_models`, `weasul.label_models`), singular or plural, with dashes or underscores."""
    key = _aliases().get(_snake(interface).removeprefix("weasul."))
    if key is None:
        choices = "; ".join(f"{abc} ({group})" for abc, group in INTERFACES.values())
        raise SpecError(
            f"unknown interface '{interface}'; choose one of: {choices} (the class name, the group, "
            "or either with dashes, e.g. label-model)"
        )
    return key


_BODIES = {
    "label_model": '''
class {cls}(LabelModel):
    """Majority vote with the class prior for rows where every source abstains."""

    class Params(LabelModelParams):
        pass

    params: Params

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = infer_n_classes(L, self.params.n_classes)
        self.n_sources_ = L.shape[1]
        counts = np.array([(L == c).sum() for c in range(self.n_classes_)], dtype=float)
        prior = self.params.class_prior or (counts + 1) / (counts + 1).sum()
        self.class_prior_ = np.asarray(prior, dtype=float)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1)
        top = (votes == votes.max(axis=1, keepdims=True)).astype(float)
        probs: np.ndarray = top / top.sum(axis=1, keepdims=True)
        probs[votes.sum(axis=1) == 0] = self.class_prior_
        return probs
''',
    "query_strategy": '''
class {cls}(QueryStrategy):
    """Least confident first: the unlabelled items whose top probability is lowest."""

    class Params(QueryParams):
        pass

    params: Params

    def select(self, state: QueryState, budget: int) -> np.ndarray:
        pool = state.unlabelled()
        confidence = np.asarray(state.probs)[pool].max(axis=1)
        order = np.argsort(confidence, kind="stable")
        return pool[order[:budget]].astype(np.int64)
''',
    "anomaly_scorer": '''
class {cls}(AnomalyScorer):
    """Distance from the mean in standardised units."""

    class Params(WeasulParams):
        pass

    params: Params

    def fit(self, X: Any) -> Self:
        X = check_features(X)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        return self

    def score(self, X: Any) -> np.ndarray:
        self.check_fitted()
        X = check_features(X)
        return np.asarray(np.linalg.norm((X - self.mean_) / self.scale_, axis=1))
''',
    "encoder": '''
class {cls}(Encoder):
    """Standardises features to zero mean and unit variance."""

    class Params(WeasulParams):
        pass

    params: Params

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        X = check_features(X)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        return self

    def encode(self, X: Any) -> np.ndarray:
        self.check_fitted()
        return np.asarray((check_features(X) - self.mean_) / self.scale_)
''',
    "slice_head": '''
class {cls}(SliceHead):
    """Nearest class centroid; checks the slice matrix but does not use it."""

    class Params(WeasulParams):
        n_classes: int | None = None

    params: Params

    def fit(self, X: np.ndarray, y: np.ndarray, S: np.ndarray) -> Self:
        X = check_features(X)
        y = check_labels(y, n_items=len(X), n_classes=self.params.n_classes)
        _check_slices(S, len(X))
        k = self.params.n_classes or int(y.max()) + 1
        centroids = [X[y == c].mean(axis=0) if (y == c).any() else X.mean(axis=0) for c in range(k)]
        self.centroids_ = np.stack(centroids)
        return self

    def predict_proba(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        self.check_fitted()
        X = check_features(X)
        _check_slices(S, len(X))
        d = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)
        z = np.exp(-(d - d.min(axis=1, keepdims=True)))
        return np.asarray(z / z.sum(axis=1, keepdims=True))


def _check_slices(S: np.ndarray, n: int) -> None:
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

    def find(self, labels: np.ndarray, pred_probs: np.ndarray) -> LabelIssues:
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

#: (weasul names, validation names, whether the module needs `Self` and `Any`)
_IMPORTS = {
    "label_model": (
        "ExpertLabels, LabelModel, LabelModelParams",
        "check_label_matrix, infer_n_classes",
        ("Self",),
    ),
    "query_strategy": ("QueryParams, QueryState, QueryStrategy", "", ()),
    "anomaly_scorer": ("AnomalyScorer, WeasulParams", "check_features", ("Any", "Self")),
    "encoder": ("Encoder, WeasulParams", "check_features", ("Any", "Self")),
    "slice_head": ("DataError, SliceHead, WeasulParams", "check_features, check_labels", ("Self",)),
    "error_finder": (
        "ErrorFinder, LabelIssues, WeasulParams",
        "check_labels, check_probs, check_same_length",
        (),
    ),
}

#: How the benchmark exercises the plugin on generated data (public names only).
_BENCH_CALLS = {
    "label_model": (
        "L, _ = samples.label_matrix(n=20_000, m=10, k=2, seed=0)",
        "plugin.fit(L).predict_proba(L)",
    ),
    "query_strategy": (
        "L, _ = samples.label_matrix(n=20_000, m=10, k=2, seed=0)\n"
        "    p = np.random.default_rng(0).random(len(L))\n"
        "    state = QueryState(L=L, probs=np.column_stack([p, 1 - p]), labelled={})",
        "plugin.select(state, 50)",
    ),
    "anomaly_scorer": ("X, _ = samples.features(n=20_000, d=20, seed=0)", "plugin.fit(X).score(X)"),
    "encoder": ("X, _ = samples.features(n=20_000, d=20, seed=0)", "plugin.fit(X).encode(X)"),
    "slice_head": (
        "X, y = samples.features(n=5_000, d=20, seed=0)\n    S = samples.slices(len(X), seed=0)",
        "plugin.fit(X, y, S).predict_proba(X, S)",
    ),
    "error_finder": (
        "y = np.random.default_rng(0).integers(0, 3, 20_000)\n"
        "    probs = np.full((len(y), 3), 0.1)\n"
        "    probs[np.arange(len(y)), y] = 0.8",
        "plugin.find(y, probs)",
    ),
}

#: The label model the example specs use as the baseline (picks a method for the data).
BASELINE_LABEL_MODEL = "label_models/auto"

_SPEC_HEAD = """# {abc} `{group}/{name}` on a generated data set{compare}.
# Run:  python examples/make_data.py && weasul run examples/{stem}.yaml  (paths: relative to this file)
weasul: 1
name: {name}-example
data: {{use: npy, params: {{path: data}}}}
steps:
"""

#: The steps of each interface's example spec; slice heads need slice membership (no spec).
_SPEC_STEPS = {
    "label_model": """  - id: baseline
    use: {baseline}
    inputs: {{L: data.L, y: data.y}}
  - id: {stem}
    use: {group}/{name}
    inputs: {{L: data.L, y: data.y}}
""",
    "query_strategy": """  - id: lm
    use: {baseline}
    inputs: {{L: data.L, y: data.y}}
  - id: gold
    use: oracles/gold
    inputs: {{y: data.train.y}}
  - id: loop
    use: {group}/{name}
    params: {{budget: 20, batch: 5}}   # step-only options of the active loop
    inputs: {{model: lm, oracle: gold, L: data.L, y: data.y}}
""",
    "error_finder": """  - id: lm
    use: {baseline}
    inputs: {{L: data.L, y: data.y}}
  - id: {stem}   # the gold labels the label model disagrees with most
    use: {group}/{name}
    inputs: {{labels: data.y, probs: lm.probs}}
""",
    "anomaly_scorer": """  - id: {stem}
    use: {group}/{name}
    inputs: {{X: data.X}}
""",
    "encoder": """  - id: {stem}
    use: {group}/{name}
    inputs: {{X: data.X}}
""",
}

_MAKE_DATA = '''"""Write a small generated data set for the example specs: examples/data/{L,Y,X}_{split}.npy.

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
'''


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

[project.optional-dependencies]
test = ["pytest>=7"]

[project.entry-points."weasul.{group}"]
{entry_point}

[tool.setuptools.package-data]
{module} = ["py.typed"]
"""

_README = """# {dist}

A weasul `{abc}` plugin, registered as `{group}/{name}`.

    pip install -e ".[test]"           # the package, and pytest for its tests
    weasul plugins --group {group}
    python -m pytest tests             # the conformance kit over {cls}.examples()
    python benchmarks/bench_{stem}.py  # fit time as JSON
{example}
Replace the body of `src/{module}/{stem}.py` with your method; keep `Params` for every
parameter, heavy imports inside methods (`weasul.lazy.require`), and the conformance test
passing. Never change the arrays you are given: copy them first.

In a spec the plugin runs through its interface's default step, `weasul.steps.{step}`
(inputs, outputs, step-only options). To add an output or an option, subclass that step, call
`super().run()` in its `run`, and set `step = MyStep` on the class. A step never changes its
inputs (copy an array, `clone()` a model before refitting it); the engine checks. Finished
steps are cached, keyed on this package's code, the params, the inputs and every file the params
name (call such params `path`, `files` or `*_path`); `weasul run SPEC --no-cache` reruns all.
See weasul's PLUGINS.md ("Steps", "The dependency rule") and docs/spec.md.

Add a second plugin to this package with
`weasul new-plugin OTHER-NAME --interface INTERFACE --into .`.
"""

_README_MORE = """
Also registered here: `{group}/{name}` (`{abc}`, in `src/{module}/{stem}.py`).
"""

_MODULE = '''"""{abc} plugin `{name}`."""

from __future__ import annotations

{typing}import numpy as np
from weasul import {weasul_names}
{validation}{type_checking}
__all__ = ["{cls}"]


{body}'''

_INIT = '''"""{dist}: the `{group}/{name}` plugin for weasul."""

from {module}.{stem} import {cls}

__all__ = ["{cls}"]
'''

_TEST = """from collections.abc import Callable

from weasul.plugin import Plugin
from weasul.testing import parametrize_with_checks

from {module}.{stem} import {cls}


@parametrize_with_checks({cls}.examples())
def test_conformance(plugin: Plugin, check: Callable[[Plugin], None]) -> None:
    check(plugin)
"""

_BENCH = '''"""Time one fit/predict cycle of `{name}` on generated data; prints JSON.

Add the peer you compare against (measured in this same run) and print the ratio.
"""

import json
import time

{bench_imports}

from {module}.{stem} import {cls}

if __name__ == "__main__":
    plugin = {cls}()
    {setup}
    start = time.perf_counter()
    {call}
    seconds = time.perf_counter() - start
    print(json.dumps({{"plugin": "{name}", "seconds": round(seconds, 4)}}))
'''


def _names(name: str, interface: str, module: str | None = None) -> dict[str, str]:
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        raise SpecError(
            f"plugin name '{name}' must be kebab-case: lowercase letters, digits and single dashes"
        )
    key = interface_key(interface)
    stem = name.replace("-", "_")
    if keyword.iskeyword(stem):
        raise SpecError(f"plugin name '{name}' is a Python keyword")
    abc, group = INTERFACES[key]
    cls = "".join(part.capitalize() for part in name.split("-")) + abc
    module = module or f"weasul_{stem}"
    return {
        "name": name,
        "dist": f"weasul-{name}",
        "module": module,
        "stem": stem,
        "cls": cls,
        "abc": abc,
        "group": group,
        "interface": key,
        "step": _default_step(group),
        "entry_point": f'{name} = "{module}.{stem}:{cls}"',
    }


def _default_step(group: str) -> str:
    from weasul import steps

    defaults = getattr(steps, "DEFAULT_STEPS", {})
    return defaults[group].__name__ if group in defaults else "Step"


def _module_text(n: dict[str, str]) -> str:
    weasul_names, validation, typing_names = _IMPORTS[n["interface"]]
    typing = ""
    if typing_names:
        runtime = ", ".join(["TYPE_CHECKING", *(t for t in typing_names if t != "Self")])
        typing = f"from typing import {runtime}\n\n"
    type_checking = (
        "\nif TYPE_CHECKING:\n    from typing_extensions import Self\n" if "Self" in typing_names else ""
    )
    return _MODULE.format(
        typing=typing,
        weasul_names=weasul_names,
        validation=f"from weasul.validation import {validation}\n" if validation else "",
        type_checking=type_checking,
        body=_BODIES[n["interface"]].format(cls=n["cls"]).lstrip("\n"),
        **n,
    )


def _bench_text(n: dict[str, str]) -> str:
    setup, call = _BENCH_CALLS[n["interface"]]
    imports = ["import numpy as np"] if "np." in setup else []
    if "QueryState" in setup:
        imports.append("from weasul import QueryState")
    if "samples." in setup:
        imports.append("from weasul.testing import samples")
    return _BENCH.format(bench_imports="\n".join(imports), setup=setup, call=call, **n)


def _spec_text(n: dict[str, str]) -> str | None:
    steps = _SPEC_STEPS.get(n["interface"])
    if steps is None:
        return None
    compare = f", beside {BASELINE_LABEL_MODEL}" if n["interface"] == "label_model" else ""
    return _SPEC_HEAD.format(compare=compare, **n) + steps.format(baseline=BASELINE_LABEL_MODEL, **n)


def _plugin_files(n: dict[str, str]) -> dict[str, str]:
    """The module, conformance test, benchmark and example spec of one plugin."""
    files = {
        f"src/{n['module']}/{n['stem']}.py": _module_text(n),
        f"tests/test_{n['stem']}_conformance.py": _TEST.format(**n),
        f"benchmarks/bench_{n['stem']}.py": _bench_text(n),
    }
    spec = _spec_text(n)
    if spec is not None:
        files[f"examples/{n['stem']}.yaml"] = spec
    return files


def render(name: str, interface: str) -> dict[str, str]:
    """Relative path -> file content of the package for `name` implementing `interface`
    (any spelling `interface_key` accepts)."""
    n = _names(name, interface)
    example = (
        f"    python examples/make_data.py && weasul run examples/{n['stem']}.yaml  # in a spec\n"
        if n["interface"] in _SPEC_STEPS
        else ""
    )
    return {
        "pyproject.toml": _PYPROJECT.format(**n),
        "README.md": _README.format(example=example, **n),
        f"src/{n['module']}/__init__.py": _INIT.format(**n),
        f"src/{n['module']}/py.typed": "",
        "examples/make_data.py": _MAKE_DATA,
        **_plugin_files(n),
    }


def new_plugin(name: str, interface: str, parent: str | Path = ".") -> Path:
    """Write the package into `parent/<name>`; refuses to overwrite an existing folder."""
    files = render(name, interface)
    folder = Path(parent) / name
    if folder.exists():
        raise SpecError(
            f"{folder} already exists; choose another name, remove it, or add the plugin to that "
            f"package with --into {folder}"
        )
    _write(folder, files)
    return folder


def add_plugin(name: str, interface: str, package: str | Path) -> list[Path]:
    """Add plugin `name` to the existing package folder `package`: a new module, test and
    benchmark, its entry point appended to `pyproject.toml` and a line to `README.md`.
    Nothing that exists is overwritten; returns the files written or changed."""
    folder = Path(package)
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        raise SpecError(f"{folder} has no pyproject.toml; --into takes the folder of an existing package")
    n = _names(name, interface, module=_package_module(folder))
    files = _plugin_files(n)
    taken = sorted(rel for rel in files if (folder / rel).exists())
    if taken:
        raise SpecError(f"{folder} already has {', '.join(taken)}; choose another plugin name")
    toml = _with_entry_point(pyproject.read_text(encoding="utf-8"), n)
    if not (folder / "examples" / "make_data.py").exists():
        files["examples/make_data.py"] = _MAKE_DATA
    _write(folder, files)
    pyproject.write_text(toml, encoding="utf-8")
    changed = [folder / rel for rel in files] + [pyproject]
    readme = folder / "README.md"
    if readme.is_file():
        readme.write_text(readme.read_text(encoding="utf-8") + _README_MORE.format(**n), encoding="utf-8")
        changed.append(readme)
    return changed


def _write(folder: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _package_module(folder: Path) -> str:
    """The one import package under `folder/src`."""
    found = sorted(p.parent.name for p in (folder / "src").glob("*/__init__.py"))
    if len(found) != 1:
        raise SpecError(
            f"{folder}/src holds {len(found)} import packages ({', '.join(found) or 'none'}); "
            "--into needs a src-layout package with exactly one"
        )
    return found[0]


_HEADER = re.compile(r"^\s*\[(?P<table>[^\[\]]+)\]\s*(#.*)?$")


def _with_entry_point(text: str, n: dict[str, str]) -> str:
    """`text` with the plugin's entry point added to its group's table (made when missing)."""
    lines = text.splitlines()
    wanted = f"project.entry-points.weasul.{n['group']}"
    start = end = None
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            if start is not None and end is None:
                end = i
            table = re.sub(r"[\"'\s]", "", match["table"])
            if table == wanted:
                start = i
    if start is None:
        new = [*lines, "", f'[project.entry-points."weasul.{n["group"]}"]', n["entry_point"]]
    else:
        end = len(lines) if end is None else end
        body = lines[start + 1 : end]
        if any(re.match(rf"\s*[\"']?{re.escape(n['name'])}[\"']?\s*=", line) for line in body):
            raise SpecError(f"pyproject.toml already registers {n['group']}/{n['name']}")
        last = start + max((i + 1 for i, line in enumerate(body) if line.strip()), default=0)
        new = [*lines[: last + 1], n["entry_point"], *lines[last + 1 :]]
    return "\n".join(new) + "\n"
