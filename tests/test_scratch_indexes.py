"""Per-row indexes kept in memory-mapped scratch files (issue 17.2): the span index of a
data file, a summary file's id index and the survey's id ledger give what the in-memory
versions they replaced gave, with tiny blocks so every multi-block and multi-bucket path
runs, with repeated ids and with hashes forced to share their first 64 bits."""

from __future__ import annotations

import json
import tempfile
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from summcheck import scratch
from summcheck.data import IdLedger
from summcheck.data.spans import SpanIndex
from summcheck.errors import DataError
from summcheck.summarizers import precomputed
from summcheck.summarizers.precomputed import IdIndex, Precomputed
from summcheck.types import Example


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(scratch, "BLOCK", 4)


class InMemoryIdIndex:
    """The id index as it was before the scratch files (the oracle)."""

    def __init__(self, digests: np.ndarray, where: np.ndarray):
        order = np.lexsort((digests[:, 1], digests[:, 0]))
        self.hi, self.lo = digests[order, 0], digests[order, 1]
        self.where = where[order]

    def first_duplicate(self):
        same = np.flatnonzero((self.hi[1:] == self.hi[:-1]) & (self.lo[1:] == self.lo[:-1]))
        if not len(same):
            return None
        later = same[np.argmin(self.where[same + 1])] + 1
        first = later - 1
        while first > 0 and self.hi[first - 1] == self.hi[later] \
                and self.lo[first - 1] == self.lo[later]:
            first -= 1
        return int(self.where[first]), int(self.where[later])


def in_memory_first_repeat(digests: np.ndarray):
    """IdLedger.first_repeat as it was (the oracle)."""
    order = np.lexsort((digests[:, 1], digests[:, 0]))
    ordered = digests[order]
    same = (ordered[1:] == ordered[:-1]).all(axis=1)
    return int(order[1:][same].min()) if same.any() else None


# Hashes from a few values per half: repeats and shared first halves are common.
hash_tables = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=60).map(
    lambda pairs: np.array([(h << 61, lo) for h, lo in pairs], np.uint64).reshape(-1, 2))


@settings(max_examples=150, deadline=None)
@given(hash_tables)
def test_sorted_hashes_match_a_stable_in_memory_sort(digests):
    table = scratch.sort_hashes(digests)
    order = np.lexsort((digests[:, 1], digests[:, 0]))
    assert table.shape == (3, len(digests))
    assert np.array_equal(table[2], order)
    assert np.array_equal(table[0], digests[order, 0])
    assert np.array_equal(table[1], digests[order, 1])
    assert not table.flags.writeable


@settings(max_examples=150, deadline=None)
@given(hash_tables, st.randoms(use_true_random=False))
def test_id_index_answers_as_the_in_memory_one(digests, rng):
    gaps = np.array([rng.randint(1, 50) for _ in range(len(digests))], np.int64)
    where = np.cumsum(gaps)   # line offsets: ascending in file order
    ours, theirs = IdIndex(digests, where), InMemoryIdIndex(digests, where)
    assert ours.first_duplicate() == theirs.first_duplicate()
    assert np.array_equal(ours.hi, theirs.hi) and np.array_equal(ours.lo, theirs.lo)
    assert np.array_equal(ours.where[ours.row], theirs.where)


@settings(max_examples=150, deadline=None)
@given(hash_tables, hash_tables)
def test_id_index_finds_the_first_row_with_both_halves(digests, query):
    index = IdIndex(digests, np.arange(len(digests), dtype=np.int64))
    found = index.find_hashes(query)
    for (hi, lo), position in zip(query.tolist(), found.tolist()):
        rows = [j for j in range(len(index)) if (index.hi[j], index.lo[j]) == (hi, lo)]
        assert position == (rows[0] if rows else -1)


@settings(max_examples=150, deadline=None)
@given(hash_tables)
def test_id_ledger_finds_the_repeat_the_in_memory_one_found(digests):
    ledger = IdLedger()
    for part in scratch.blocks(len(digests), 7):
        ledger._hashes.add(digests[part])
    assert ledger.first_repeat() == in_memory_first_repeat(digests)


def _write(path, ids):
    path.write_text("".join(json.dumps({"id": i, "summary": [f"S {i}."]}) + "\n" for i in ids))
    return Precomputed(SimpleNamespace(label="pre", path=str(path), id_field="id",
                                       summary_field="summary", max_missing=1.0),
                       max_bullets=None)


@pytest.fixture(params=["real", "colliding"])
def digests(request, monkeypatch):
    """The real hash, or one whose first 64 bits take 2 values (all ids share them)."""
    if request.param == "colliding":
        real = precomputed._digests

        def colliding(keys):
            return b"".join(bytes(7) + bytes([len(k) % 2]) + real([k])[8:] for k in keys)
        monkeypatch.setattr(precomputed, "_digests", colliding)
    return request.param


def test_summaries_by_id_with_tiny_blocks(tmp_path, digests):
    ids = [f"id-{i}" for i in range(40)]
    pre = _write(tmp_path / "s.jsonl", ids)
    asked = ids[::-3] + ["nope", "id-400"]
    out = pre.summarize([Example(i, "x") for i in asked])
    assert [s.bullets for s in out[:-2]] == [(f"S {i}.",) for i in asked[:-2]]
    assert all("no summary for id" in s.error for s in out[-2:])
    renamed = _write(tmp_path / "r.jsonl", [f"other/{i}" for i in ids])
    assert _rows_of(renamed, [f"other/{i}" for i in asked]) == _rows_of(pre, asked) == \
        [ids.index(i) for i in asked[:-2]] + [-1, -1]


def _rows_of(pre: Precomputed, ids: list[str]) -> list[int]:
    """Each id's line (0-based, file order), -1 for none."""
    where = pre._index.where_of(ids)
    return [int(np.searchsorted(pre._index.where, w)) if w >= 0 else -1 for w in where]


def test_a_repeated_id_names_the_same_lines(tmp_path, digests):
    ids = [f"id-{i}" for i in range(30)]
    ids[17], ids[25], ids[9] = "id-4", "id-3", "id-4"   # id-4 on lines 5, 10 and 18
    with pytest.raises(DataError, match=r"lines 5 and 10: the same id 'id-4'"):
        _write(tmp_path / "s.jsonl", ids)._index


def test_the_id_check_counts_missing_and_extra_ids(tmp_path, digests):
    pre = _write(tmp_path / "s.jsonl", [f"id-{i}" for i in range(30)])
    check = pre.id_check()
    check.add([f"id-{i}" for i in range(0, 40, 2)])
    assert check.finish() == [
        "pre: 5 of 20 examples have no summary in "
        f"{tmp_path / 's.jsonl'} ('id-30', 'id-32', 'id-34', ...); they count as failed "
        "(0 on every rate). Ids in the file the dataset lacks: 'id-1', 'id-11', 'id-13', ..."]
    assert check._extra().count == 15


def test_span_index_reads_rows_across_blocks_and_after_a_clear(tmp_path):
    lines = [json.dumps({"n": i, "pad": "x" * (i % 5)}) for i in range(23)]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    index = SpanIndex(str(path), "d", json.loads)
    index.add(0, 3)
    index.clear()
    start = 0
    for line in lines:
        index.add(start, start + len(line))
        start += len(line) + 1
    assert len(index) == 23
    picks = [0, 1, 2, 5, 9, 10, 11, 12, 22]
    assert index.rows(picks) == [json.loads(lines[i]) for i in picks]


def test_scratch_files_are_unlinked_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = scratch.Rows(np.uint64, 2)
    rows.add(np.arange(20, dtype=np.uint64).reshape(-1, 2))
    table = scratch.sort_hashes(rows.mapped())
    flags = scratch.zeros((9,), np.bool_)
    assert list(tmp_path.iterdir()) == []
    assert table.shape == (3, 10) and not flags.any()
    assert scratch.sort_hashes(np.zeros((0, 2), np.uint64)).shape == (3, 0)
    assert len(scratch.Rows(np.int64).mapped()) == 0
