"""Tables read as partitions (issue 17): the table loader's `load_partitioned` gives the rows,
labels and texts of `load` from csv byte ranges / parquet row ranges read one at a time (here
on the local executor, in this process; on Dask workers in test_dask_partitioned.py), and a
row-wise encoder encodes such partitions into partitioned features."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import weasul
from weasul.executor import Executor, ExecutorSpec
from weasul.partitioned import PartitionedArray, PartitionedTable
from weasul.steps import StepContext, run_step

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

TEXTS = ['good, "really" good', "bad", "", "NA", "nan", "great\tday", "awful; poor", "fine fine"]


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "text": [TEXTS[i] for i in rng.integers(len(TEXTS), size=n)],
            "score": rng.normal(size=n).round(3),
            "label": rng.choice(["neg", "pos"], size=n),
        }
    )


def _files(tmp_path, suffix):
    out = {}
    for split, sizes in (("train", (120, 45)), ("test", (60,))):
        out[split] = []
        for j, n in enumerate(sizes):
            path = tmp_path / f"{split}{j}.{suffix}"
            frame = _frame(n, seed=len(out) * 10 + j)
            if suffix == "csv":
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False, row_group_size=17)  # partitions cut row groups
            out[split].append(str(path))
    return out


def _loader(files, **params):
    return weasul.create("datasets", "table", files=files, text_column="text", label_column="label", **params)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("partitions", [1, 4, 9])
def test_partitions_give_the_rows_labels_and_texts_of_the_whole_read(tmp_path, suffix, partitions):
    files = _files(tmp_path, suffix)
    whole = _loader(files).load()
    parted = _loader(files).load_partitioned(Executor(ExecutorSpec(partitions=partitions)))
    assert parted.class_names == whole.class_names == ("neg", "pos")
    for split in ("train", "test"):
        items = parted[split].items
        assert isinstance(items, PartitionedTable) and len(items) == len(whole[split].items)
        assert items.n_partitions >= min(partitions, len(files[split]))
        pd.testing.assert_frame_equal(items.gather(), whole[split].items, check_dtype=False)
        assert np.array_equal(parted[split].y, whole[split].y)
        text = parted[split].text
        assert isinstance(text, PartitionedTable) and text.shape == (len(items),)
        assert text.gather().tolist() == whole[split].text.tolist()  # "", "NA", "nan" stay texts
    train = parted["train"].items
    assert train.rows[0] > 0 and train.bounds[-1][1] == 165
    if suffix == "csv" and partitions == 9:  # 9 partitions shared out by size: 7 + 2
        assert train.n_partitions == 9 and all(r > 0 for r in train.rows)


def test_the_fingerprint_follows_the_content(tmp_path):
    files = _files(tmp_path, "csv")
    executor = Executor(ExecutorSpec(partitions=3))
    first = _loader(files).load_partitioned(executor)["train"].items
    again = _loader(files).load_partitioned(executor)["train"].items
    assert first.fingerprint() == again.fingerprint() == weasul.artifacts.fingerprint(first)
    assert first.text("text").fingerprint() != first.fingerprint()
    path = tmp_path / "train1.csv"
    path.write_text(path.read_text().replace("bad", "bax", 1))
    assert _loader(files).load_partitioned(executor)["train"].items.fingerprint() != first.fingerprint()


def test_bad_cells_are_named_with_the_rows_of_the_file_as_a_whole_read_names_them(tmp_path):
    frame = _frame(90, 3)
    executor = Executor(ExecutorSpec(partitions=4))
    path = tmp_path / "t.parquet"  # a csv's empty text cell is an empty text; parquet has nulls
    frame.assign(text=frame.text.where(~frame.index.isin([70, 75]), None)).to_parquet(path, row_group_size=20)
    with pytest.raises(weasul.DataError) as whole:
        _loader({"train": [str(path)]}).load()
    with pytest.raises(weasul.DataError) as parted:
        _loader({"train": [str(path)]}).load_partitioned(executor)
    assert str(parted.value) == str(whole.value) and "row(s) [70, 75]" in str(whole.value)

    path = tmp_path / "t.csv"
    frame.assign(label=frame.label.where(~frame.index.isin([10, 70]), None)).to_csv(path, index=False)
    with pytest.raises(weasul.DataError) as whole:
        _loader({"train": [str(path)]}).load()
    with pytest.raises(weasul.DataError) as parted:
        _loader({"train": [str(path)]}).load_partitioned(executor)
    assert str(parted.value) == str(whole.value) and "row 10 (2 row(s) in all)" in str(whole.value)

    frame.assign(label=frame.label.where(frame.index != 80, "maybe")).to_csv(path, index=False)
    loader = _loader({"train": [str(path)]}, label_values=["neg", "pos"])
    with pytest.raises(weasul.DataError) as whole:
        loader.load()
    with pytest.raises(weasul.DataError) as parted:
        loader.load_partitioned(executor)
    assert str(parted.value) == str(whole.value) and "row 80 has label 'maybe'" in str(whole.value)


def test_a_quoted_line_break_across_a_partition_start_is_refused_not_misread(tmp_path):
    long = "\n".join(f"line {i} of a long review" for i in range(300))
    frame = pd.DataFrame({"text": ["short", long, "after"], "label": ["pos", "neg", "pos"]})
    path = tmp_path / "multi.csv"
    frame.to_csv(path, index=False)
    loader = _loader({"train": [str(path)]})
    with pytest.raises(weasul.DataError, match=r"multi.csv: a quoted field spans the line break at byte \d+"):
        loader.load_partitioned(Executor(ExecutorSpec(partitions=2)))
    one = loader.load_partitioned(Executor(ExecutorSpec(partitions=1)))["train"]
    assert one.text.gather().tolist() == frame.text.tolist()


def _encode(inputs, tmp_path, plugin):
    return run_step(plugin, inputs, StepContext("enc", tmp_path / "enc"), use="encoders/x")


def test_tfidf_encodes_text_partitions_into_sparse_feature_partitions(tmp_path, caplog):
    pytest.importorskip("sklearn")
    files = _files(tmp_path, "csv")
    parted = _loader(files).load_partitioned(Executor(ExecutorSpec(partitions=3)))
    whole = _loader(files).load()
    X = {s: parted[s].text for s in ("train", "test")}
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        out = _encode({"X": X}, tmp_path, weasul.create("encoders", "tfidf", min_df=1))
    assert "fitting needs its whole input" in caplog.text  # the fit split is gathered, and says so
    memory = weasul.create("encoders", "tfidf", min_df=1).fit(whole["train"].text)
    for split in ("train", "test"):
        features = out.artifacts["X"][split]
        assert isinstance(features, PartitionedArray) and features.sparse
        assert features.files[0].endswith(".npz") and features.n_partitions == X[split].n_partitions
        expected = memory.encode(whole[split].text)
        got = features.gather()
        assert got.shape == expected.shape and (got != expected).nnz == 0  # bit for bit
    assert (
        out.artifacts["X"]["test"].fingerprint()
        == PartitionedArray.read(out.artifacts["X"]["test"].folder).fingerprint()
    )


class _Centre(weasul.interfaces.Encoder):
    """Not declared row-wise: its partitioned inputs must be gathered, with a warning."""

    persistable = False

    def fit(self, X, y=None, *, groups=None):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def encode(self, X):
        return np.asarray(X) - self.mean_


def test_an_encoder_not_declared_row_wise_gets_its_partitions_gathered_with_a_warning(tmp_path, caplog):
    from weasul.partitioned import write_partitions

    rng = np.random.default_rng(0)
    blocks = [rng.normal(size=(n, 3)) for n in (4, 6, 5)]
    X = write_partitions(lambda b: b, blocks, tmp_path / "X.train", kind="features")
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        out = _encode({"X": {"train": X}}, tmp_path, _Centre())
    assert "_Centre, not row-wise" in caplog.text and "gathering a partitioned 15x3 array" in caplog.text
    whole = np.concatenate(blocks)
    np.testing.assert_allclose(out.artifacts["X"]["train"], whole - whole.mean(axis=0))


def test_parquet_partitions_follow_the_uncompressed_size_and_named_classes_need_no_read(tmp_path):
    path = tmp_path / "big.parquet"
    frame = pd.DataFrame(
        {
            "text": [f"{i} " + "the same long review text, again and again " * 3 for i in range(20_000)],
            "label": "pos",
        }
    )
    frame.to_parquet(path, row_group_size=1000)  # snappy packs it about 10x
    packed = path.stat().st_size
    executor = Executor(ExecutorSpec(n_workers=1))  # at least 2 partitions
    loader = _loader({"train": [str(path)]}, blocksize=packed)
    items = loader.load_partitioned(executor)["train"].items
    assert items.n_partitions > 2 and sum(items.rows) == 20_000  # the compressed size alone gives 1
    assert loader.class_names_without_reading() is None  # from the label values in the files
    named = _loader({"train": [str(path)]}, label_values=["neg", "pos"])
    assert named.class_names_without_reading() == named.load().class_names == ("neg", "pos")


def test_the_data_set_is_read_in_partitions_only_on_a_partitioned_dask_executor(tmp_path):
    from weasul.partitioned import keeps_partitioned, load_dataset, loads_partitioned

    loader = _loader({"train": [str(tmp_path / "none.csv")]}, label_values=["neg", "pos"])
    dask, whole = ExecutorSpec(kind="dask"), ExecutorSpec(kind="dask", partitioned=False)
    assert keeps_partitioned(dask) and not keeps_partitioned(whole)
    assert not keeps_partitioned(ExecutorSpec()) and not keeps_partitioned(None)
    assert loads_partitioned(loader, dask) and not loads_partitioned(object(), dask)
    assert not loads_partitioned(loader, whole) and not loads_partitioned(loader, ExecutorSpec())
    files = _files(tmp_path, "csv")
    local = load_dataset(_loader(files), Executor(ExecutorSpec(partitions=2)))  # local: whole
    assert not isinstance(local["train"].items, PartitionedTable) and local.class_names == ("neg", "pos")


@pytest.mark.parametrize(
    ("executor", "names"),
    [({"kind": "dask"}, ["neg", "pos"]), ({"kind": "local"}, []), ({"kind": "dask", "partitioned": False}, [])],
)
def test_the_report_reads_the_data_set_as_the_run_did(tmp_path, executor, names):
    """On a partitioned Dask run the report takes the class names the params fix without reading
    the files (here missing); otherwise it loads the data set whole, which fails here."""
    import yaml
    from weasul.report import class_names

    params = {"files": {"train": [str(tmp_path / "gone.csv")]}, "text_column": "text", "label_column": "label"}
    spec = {"data": {"use": "table", "params": {**params, "label_values": ["neg", "pos"]}}, "executor": executor}
    (tmp_path / "artifacts" / "lfs").mkdir(parents=True)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert class_names(tmp_path / "artifacts" / "lfs") == names
