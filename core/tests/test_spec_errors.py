"""Malformed specs: exit code 2, a message naming the step and field, never a traceback."""

import json

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from weasul.cli import main

VALID = {
    "weasul": 1,
    "name": "toy",
    "data": {"use": "npy", "params": {"path": "DATA"}},
    "steps": [
        {
            "id": "lm",
            "use": "label_models/toy-vote",
            "params": {"seed": 0},
            "inputs": {"L": "data.L", "y": "data.y"},
        },
        {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
        {
            "id": "loop",
            "use": "query_strategies/toy-first",
            "params": {"budget": 3},
            "inputs": {"model": "lm", "oracle": "gold", "L": "data.L"},
        },
    ],
}


def _edit(path, value):
    def apply(spec):
        target = spec
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return spec

    return apply


def _deep(n):
    return {"x": _deep(n - 1)} if n else 1


# (case id, spec edit or raw file bytes, substrings the message must contain)
CASES = [
    ("bad-yaml", b"weasul: 1\nsteps: [\n", ["not valid YAML", "line"]),
    ("empty-file", b"", ["empty"]),
    ("binary-file", bytes(range(256)) * 4, ["not UTF-8"]),
    ("nul-bytes", b"weasul: 1\x00\n", ["NUL"]),
    ("top-level-list", b"- 1\n- 2\n", ["mapping"]),
    ("top-level-scalar", b"hello\n", ["mapping"]),
    ("missing-version", _edit(["weasul"], KeyError), ["weasul", "Field required"]),
    ("wrong-version", _edit(["weasul"], 2), ["weasul"]),
    ("missing-name", _edit(["name"], KeyError), ["name"]),
    ("bad-name", _edit(["name"], "a/b"), ["name"]),
    ("no-steps", _edit(["steps"], []), ["steps"]),
    ("steps-not-list", _edit(["steps"], {"id": "lm"}), ["steps"]),
    ("step-missing-id", _edit(["steps", 0, "id"], KeyError), ["steps[0]", "id"]),
    ("step-bad-id", _edit(["steps", 0, "id"], "l m"), ["steps[0]", "id"]),
    ("duplicate-id", _edit(["steps", 1, "id"], "lm"), ["step 'lm'", "duplicate step id"]),
    ("id-data", _edit(["steps", 0, "id"], "data"), ["step 'data'", "duplicate"]),
    ("use-no-slash", _edit(["steps", 0, "use"], "toy-vote"), ["step 'lm'", "use"]),
    ("unknown-group", _edit(["steps", 0, "use"], "label_modls/toy-vote"), ["step 'lm'", "label_models"]),
    (
        "unknown-plugin",
        _edit(["steps", 0, "use"], "label_models/toy_vote"),
        ["step 'lm'", "did you mean 'toy-vote'"],
    ),
    (
        "misspelt-param",
        _edit(["steps", 0, "params"], {"sed": 0}),
        ["step 'lm'", "params.sed", "unknown parameter", "seed"],
    ),
    ("wrong-type", _edit(["steps", 0, "params"], {"seed": "zero"}), ["step 'lm'", "params.seed"]),
    ("out-of-range", _edit(["steps", 0, "params"], {"n_classes": 1}), ["step 'lm'", "params.n_classes"]),
    ("huge-number", _edit(["steps", 0, "params"], {"n_classes": 10**30}), ["step 'lm'", "params.n_classes"]),
    ("huge-float", _edit(["steps", 2, "params"], {"budget": 1e308}), ["step 'loop'", "params.budget"]),
    ("params-not-mapping", _edit(["steps", 0, "params"], [1, 2]), ["step 'lm'", "params"]),
    (
        "missing-input",
        _edit(["steps", 0, "inputs"], {"y": "data.y"}),
        ["step 'lm'", "missing required input", "L"],
    ),
    (
        "input-from-nowhere",
        _edit(["steps", 0, "inputs", "L"], "lfs.L"),
        ["step 'lm'", "inputs.L", "no earlier step"],
    ),
    (
        "input-from-later-step",
        _edit(["steps", 0, "inputs", "L"], "loop.probs"),
        ["step 'lm'", "inputs.L", "no earlier step"],
    ),
    (
        "unknown-output",
        _edit(["steps", 2, "inputs", "L"], "lm.scores"),
        ["step 'loop'", "inputs.L", "no output 'scores'"],
    ),
    (
        "wrong-kind",
        _edit(["steps", 2, "inputs", "L"], "lm.probs"),
        ["step 'loop'", "inputs.L", "probs", "label_matrix"],
    ),
    (
        "wrong-model-kind",
        _edit(["steps", 2, "inputs", "oracle"], "lm"),
        ["step 'loop'", "inputs.oracle", "model:label_models"],
    ),
    (
        "unknown-input",
        _edit(["steps", 0, "inputs", "Q"], "data.L"),
        ["step 'lm'", "inputs.Q", "takes no input"],
    ),
    (
        "malformed-ref",
        _edit(["steps", 0, "inputs", "L"], "data."),
        ["step 'lm'", "inputs.L", "not a reference"],
    ),
    (
        "ref-too-deep",
        _edit(["steps", 0, "inputs", "L"], "a.b.c.d"),
        ["step 'lm'", "inputs.L", "not a reference"],
    ),
    ("ref-not-string", _edit(["steps", 0, "inputs", "L"], 5), ["step 'lm'", "inputs.L"]),
    ("unknown-top-field", _edit(["stepz"], []), ["stepz", "unknown field"]),
    ("unknown-step-field", _edit(["steps", 0, "inputz"], {}), ["step 'lm'", "inputz", "unknown field"]),
    ("bad-fit-on", _edit(["steps", 0, "fit_on"], "../x"), ["step 'lm'", "fit_on"]),
    ("unknown-dataset", _edit(["data", "use"], "nyp"), ["data.use", "did you mean 'npy'"]),
    ("dataset-param-typo", _edit(["data", "params"], {"pth": "x"}), ["data.params.pth"]),
    ("dataset-as-step", _edit(["steps", 0, "use"], "datasets/npy"), ["step 'lm'", "cannot be a step"]),
    ("bad-executor", _edit(["executor"], {"kind": "spark"}), ["executor.kind"]),
    ("unknown-reporter", _edit(["report"], {"reporters": ["pdf"]}), ["report.reporters", "pdf"]),
    ("deep-nesting", _edit(["steps", 0, "params"], {"seed": _deep(60)}), ["step 'lm'", "params.seed"]),
]


@pytest.mark.parametrize("case, edit, expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_spec_exits_2_with_named_field(case, edit, expected, toy_plugins, tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    if isinstance(edit, bytes):
        path.write_bytes(edit)
    else:
        spec = edit(json.loads(json.dumps(VALID)))
        path.write_text(yaml.safe_dump(spec))
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"


def test_there_are_at_least_thirty_distinct_cases():
    assert len({c[0] for c in CASES}) >= 30


def test_valid_spec_validates(toy_plugins, tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(VALID))
    assert main(["validate", str(path)]) == 0


def test_create_reports_a_misspelt_parameter_as_validate_does(toy_plugins, tmp_path, capsys):
    import weasul

    spec = json.loads(json.dumps(VALID))
    spec["steps"][0]["params"] = {"sed": 0}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["validate", str(path)]) == 2
    from_spec = capsys.readouterr().err.strip().removeprefix("error: ")
    with pytest.raises(weasul.SpecError) as info:
        weasul.create("label_models", "toy-vote", sed=0)
    from_code = str(info.value)
    # the same words after the location: the spec names the step, code names the class
    assert from_spec.startswith("step 'lm' (steps[0]).params.sed: ")
    assert from_code.startswith("ToyVoteLabelModel.params.sed: ")
    assert from_spec.partition(".params.")[2] == from_code.partition(".params.")[2]
    assert "unknown parameter (check the spelling); parameters are: " in from_code
    assert "seed" in from_code and "did you mean 'seed'?" in from_code
    assert "Extra inputs are not permitted" not in from_code


def test_missing_file_and_huge_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 6_000_000)
    assert main(["validate", str(big)]) == 2
    assert "small text file" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("weasul: 2\n")
    with pytest.raises(Exception, match="weasul"):
        main(["--debug", "validate", str(path)])


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
_docs = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["weasul", "name", "data", "steps", "report", "executor", "id", "use", "params", "inputs", "fit_on"]
)


def _mutate(doc, path, value):
    target = doc
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and isinstance(key, int) and key < len(target):
            target = target[key]
        else:
            return doc
    if isinstance(target, dict):
        target[path[-1]] = value
    return doc


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(doc=None, where=["steps"], value=True, raw=False)  # `steps: true` once raised a TypeError
@example(doc=None, where=["report", "reporters"], value=True, raw=False)
@given(
    doc=_docs,
    where=st.lists(st.one_of(_keys, st.integers(0, 2)), min_size=1, max_size=4),
    value=_docs,
    raw=st.booleans(),
)
def test_generated_specs_never_traceback(doc, where, value, raw, toy_plugins, tmp_path, capsys):
    spec = doc if raw else _mutate(json.loads(json.dumps(VALID)), where, value)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
