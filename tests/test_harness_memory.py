"""What keeps a big run's memory flat and its harness cheap (issue 17): metric columns
spilled to a file and aggregated from its memory map, repeated ids found from 16-byte
hashes in the run's one read of the examples; none of it changes a figure or a row."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from summcheck import runner
from summcheck.columns import SpilledColumns
from summcheck.config import load_config
from summcheck.data import IdLedger, check_unique_ids
from summcheck.errors import DataError
from summcheck.stats import aggregate_columns, aggregate_matrix
from summcheck.types import Example

ROWS = [{"a": 0.5, "b": 1.0}, {"a": None, "b": 2.0}, {"b": 3.0}, {"a": 0.25, "c": 7.0},
        {}, {"c": 1.5, "b": 0.0, "a": 1.0}]


def test_spilled_columns_hold_every_row_value_and_nan_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setattr(SpilledColumns, "_BLOCK_ROWS", 2)   # several blocks, a widening
    spilled = SpilledColumns(tmp_path / "cols")
    for row in ROWS * 3:
        spilled.add(row)
    matrix = spilled.matrix()
    assert spilled.names == ["a", "b", "c"]
    assert matrix.shape == (18, 3)
    for j, name in enumerate(spilled.names):
        expected = [math.nan if row.get(name) is None else row[name] for row in ROWS * 3]
        assert np.array_equal(matrix[:, j], expected, equal_nan=True), name
    del matrix
    spilled.close()
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["b", "a", "c"]),
                                st.none() | st.floats(allow_nan=False) | st.integers(-5, 5)),
                max_size=12), st.integers(1, 4))
def test_spilled_columns_equal_the_rows_whatever_their_keys(tmp_path_factory, rows, block):
    """Rows with every column, some, none, None values and keys in any order: each
    column reads back as the rows' values (NaN where a row has none)."""
    spilled = SpilledColumns(tmp_path_factory.mktemp("cols") / "cols")
    spilled._BLOCK_ROWS = block
    for row in rows:
        spilled.add(row)
    matrix = spilled.matrix()
    assert spilled.names == sorted({k for row in rows for k in row})
    for j, name in enumerate(spilled.names):
        expected = [math.nan if row.get(name) is None else row[name] for row in rows]
        assert np.array_equal(matrix[:, j], expected, equal_nan=True), name
    del matrix
    spilled.close()


def test_spilled_columns_without_rows_or_values(tmp_path):
    empty = SpilledColumns(tmp_path / "empty")
    assert empty.matrix().shape == (0, 0)
    blank = SpilledColumns(tmp_path / "blank")
    blank.add({})
    blank.add({})
    assert blank.matrix().shape == (2, 0)
    blank.add({"x": 1.0})       # a metric first seen on the third row
    assert np.array_equal(blank.matrix()[:, 0], [math.nan, math.nan, 1.0], equal_nan=True)
    empty.close()
    blank.close()


@pytest.mark.parametrize("with_nan", [False, True])
def test_aggregate_matrix_gives_aggregate_columns_figures(tmp_path, with_nan):
    values = np.random.default_rng(3).random((501, 4))
    if with_nan:
        values[::7, 2] = np.nan
    names = ["r1", "r2", "x", "z"]
    path = tmp_path / "m"
    values.tofile(path)
    mapped = np.memmap(path, dtype=np.float64, mode="r", shape=values.shape)
    expected = aggregate_columns({k: values[:, j].copy() for j, k in enumerate(names)},
                                 n_bootstrap=200, seed=5)
    assert aggregate_matrix(mapped, names, n_bootstrap=200, seed=5) == expected
    assert list(expected) == names


def test_id_ledger_finds_the_first_repeat_in_read_order():
    ledger = IdLedger()
    ledger.add(["a", "b", "c"])
    ledger.add(["d", "b", "a", "a"])
    assert ledger.first_repeat() == 4     # the second "b" comes before the second "a"
    clean = IdLedger()
    clean.add([f"id-{i}" for i in range(5000)])
    assert clean.first_repeat() is None
    assert IdLedger().first_repeat() is None


def test_id_ledger_error_is_the_set_checks_error():
    examples = [Example(i, "story") for i in ["x", "y", "z", "y", "x"]]
    ledger = IdLedger()
    ledger.add([e.id for e in examples])
    with pytest.raises(DataError) as ours:
        ledger.check(examples, where="dataset d")
    with pytest.raises(DataError) as theirs:
        check_unique_ids(examples, where="dataset d")
    assert str(ours.value) == str(theirs.value)
    assert "duplicate example id 'y'" in str(ours.value)


def test_id_ledger_tells_a_hash_collision_from_a_repeat(monkeypatch):
    """Distinct ids whose hashes collide (forced here) are not reported."""
    import hashlib

    class Same:
        def digest(self):
            return bytes(16)

    examples = [Example(i, "story") for i in ["p", "q", "r"]]
    ledger = IdLedger()
    monkeypatch.setattr(hashlib, "blake2b", lambda *a, **k: Same())
    ledger.add([e.id for e in examples])
    monkeypatch.undo()
    assert ledger.first_repeat() == 1
    ledger.check(examples, where="dataset d")    # no error: the ids differ


def _dataset(tmp_path: Path, ids: list[str]) -> Path:
    data = tmp_path / "data.jsonl"
    with data.open("w") as out:
        for i, example_id in enumerate(ids):
            out.write(json.dumps({"id": example_id, "story": f"Story {i} had 3 cats. It ran.",
                                  "highlights": [f"Story {i} had 3 cats."]}) + "\n")
    summaries = tmp_path / "summaries.jsonl"
    with summaries.open("w") as out:
        for i, example_id in enumerate(dict.fromkeys(ids)):
            out.write(json.dumps({"id": example_id,
                                  "summary": [f"Story {i} had {3 + i % 2} cats."]}) + "\n")
    config = tmp_path / "run.yaml"
    config.write_text(
        f"name: harness\ndataset: {{source: hf, path: {data}, split: test,\n"
        "          fields: {id: id, story: story, highlights: highlights}}\n"
        f"summarizers: [{{type: precomputed, name: pre, path: {summaries}}}]\n"
        "checks: {numbers: {}, entities: null, support: null}\n"
        "report: {formats: [csv]}\n")
    return config


@pytest.mark.parametrize("limit", [None, 2])
def test_a_run_refuses_repeated_example_ids(tmp_path, limit):
    config = _dataset(tmp_path, ["a", "b", "c", "b"])
    with pytest.raises(DataError, match="duplicate example id 'b'"):
        runner.run(load_config(config, limit=limit), out_dir=tmp_path / "runs",
                   cache_dir=tmp_path / "cache", show_progress=False)
    assert not (tmp_path / "runs").exists()     # stopped before any run folder


def test_cold_cached_and_windowed_runs_write_the_same_rows(tmp_path, monkeypatch):
    config = _dataset(tmp_path, [f"ex-{i}" for i in range(23)])
    spec = load_config(config)

    def run(name: str, cache: str) -> Path:
        return runner.run(spec, out_dir=tmp_path / name, cache_dir=tmp_path / cache,
                          show_progress=False).run_dir

    cold = run("cold", "cache")
    cached = run("cached", "cache")
    monkeypatch.setattr(runner, "_WINDOW", 4)
    monkeypatch.setattr(runner, "_SCORE_CHUNK", 3)
    windowed = run("windowed", "cache-windowed")
    for name in ("examples.jsonl", "scores.jsonl", "checks.jsonl", "report/scores.csv"):
        text = (cold / name).read_text()
        assert text and (cached / name).read_text() == text == (windowed / name).read_text()

    def figures(run_dir: Path) -> list:
        results = json.loads((run_dir / "results.json").read_text())
        return [(m["metrics"], m["unsupported"], m["n_examples"])
                for m in results["summarizers"]]
    assert figures(cold) == figures(cached) == figures(windowed)
    assert figures(cold)[0][0]["numbers_precision"]["n"] == 23
    for run_dir in (cold, cached, windowed):   # the spilled columns are gone
        assert not [p for p in run_dir.iterdir() if p.name.endswith(".partial")]


def test_a_summary_files_id_index_is_built_once_per_run(tmp_path, monkeypatch):
    """The first fingerprint used to drop the index the id check had built: the file was
    read again at the first window and two indexes were held for the rest of the run."""
    from summcheck.summarizers import precomputed

    built: list[int] = []
    original = precomputed.IdIndex.__init__

    def counting(self, digests, where):
        built.append(len(where))
        original(self, digests, where)

    monkeypatch.setattr(precomputed.IdIndex, "__init__", counting)
    monkeypatch.setattr(runner, "_WINDOW", 4)
    config = _dataset(tmp_path, [f"ex-{i}" for i in range(10)])
    runner.run(load_config(config), out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
               show_progress=False)
    assert built == [10]
