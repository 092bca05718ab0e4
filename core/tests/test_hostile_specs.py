"""Hostile spec files (issue 15, items 5 and 9): duplicate keys and alias bombs are refused while
loading, with the line, before anything is validated or run."""

from __future__ import annotations

import time

import pytest
from weasul.cli import main
from weasul.errors import SpecError
from weasul.spec import load_spec

BASE = """\
weasul: 1
name: toy
steps:
  - id: lm
    use: label_models/majority-vote
    inputs: {L: data.L}
"""


def test_duplicate_top_level_key_is_refused_with_its_line(tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE + "steps:\n  - id: other\n    use: label_models/majority-vote\n")
    with pytest.raises(SpecError, match=r"spec.yaml line 7: duplicate key 'steps' \(first at line 3\)"):
        load_spec(path)
    assert main(["validate", str(path)]) == 2
    assert "duplicate key 'steps'" in capsys.readouterr().err


def test_duplicate_nested_key_is_refused(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE.replace("inputs: {L: data.L}", "inputs: {L: data.L, L: data.train.L}"))
    with pytest.raises(SpecError, match="duplicate key 'L'"):
        load_spec(path)


def test_merge_keys_may_override(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "defaults: &d {use: label_models/majority-vote, inputs: {L: data.L}}\n"
        "weasul: 1\nname: toy\nsteps:\n  - <<: *d\n    id: lm\n"
    )
    with pytest.raises(SpecError, match="defaults: unknown field"):  # parses, then the schema speaks
        load_spec(path)


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines)


@pytest.mark.parametrize("levels", [5, 9])
def test_alias_bomb_in_a_free_form_param_is_refused_fast(tmp_path, levels):
    bomb = _bomb(levels).replace("\n", "\n      ")
    spec = BASE.replace(
        "use: label_models/majority-vote",
        f"use: classifiers/sklearn\n    params:\n      options:\n      {bomb}",
    )
    path = tmp_path / "spec.yaml"
    path.write_text(spec)
    assert len(spec) < 1000
    start = time.perf_counter()
    with pytest.raises(SpecError, match=r"aliases expand to more than 100000 values"):
        load_spec(path)
    assert time.perf_counter() - start < 5


def test_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE + "x: &a [*a]\n")
    with pytest.raises(SpecError, match="refers to itself"):
        load_spec(path)


def test_a_few_aliases_are_fine(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("p: &p {L: data.L}\n" + BASE.replace("inputs: {L: data.L}", "inputs: *p"))
    with pytest.raises(SpecError, match="p: unknown field"):
        load_spec(path)
