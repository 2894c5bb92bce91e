"""A run streams: examples are read a chunk at a time, generated and scored one window at a
time, written per summarizer in order, and reports read the run folder back lazily."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from summcheck import runner
from summcheck.artifacts import GroupedJsonlWriter, JsonlRows, load_run
from summcheck.backends import LocalBackend
from summcheck.config import load_config
from summcheck.data import ExampleRows
from summcheck.errors import SummcheckError
from summcheck.run_rows import LabelRowsBuilder, RunRows, id_key
from summcheck.types import Example


def _reader(calls: list):
    def read(start: int, stop: int) -> list[Example]:
        calls.append((start, stop))
        return [Example(f"e{i}", f"story {i}") for i in range(start, stop)]
    return read


def test_example_rows_read_in_chunks_and_slice_lazily():
    calls: list = []
    rows = ExampleRows(10, _reader(calls), chunk=4)
    assert calls == [] and len(rows) == 10
    assert [e.id for e in rows] == [f"e{i}" for i in range(10)]
    assert calls == [(0, 4), (4, 8), (8, 10)]
    calls.clear()
    assert [e.id for e in rows[3:6]] == ["e3", "e4", "e5"] and calls == [(3, 6)]
    assert rows[-1].id == "e9" and rows[2:2] == []
    with pytest.raises(IndexError):
        rows[10]
    head = rows.head(3).map(lambda e: Example(e.id, e.story.upper()))
    assert len(head) == 3 and [e.story for e in head] == ["STORY 0", "STORY 1", "STORY 2"]


def test_grouped_writer_keeps_groups_together_in_order(tmp_path):
    path = tmp_path / "rows.jsonl"
    writer = GroupedJsonlWriter(path, ["b", "a"])
    for i in range(3):           # interleaved, as windows are
        writer.write("a", {"g": "a", "i": i})
        writer.write("b", {"g": "b", "i": i})
    assert not path.exists()     # nothing under the real name before commit
    writer.commit()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["g"], r["i"]) for r in rows] == [("b", 0), ("b", 1), ("b", 2),
                                                ("a", 0), ("a", 1), ("a", 2)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_grouped_writer_discard_leaves_nothing(tmp_path):
    writer = GroupedJsonlWriter(tmp_path / "rows.jsonl", ["a"])
    writer.write("a", {"x": 1})
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_jsonl_rows_name_the_file_and_line_of_a_bad_row(tmp_path):
    path = tmp_path / "scores.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{oops\n')
    rows = JsonlRows(path)
    assert rows[1] == {"a": 2}
    with pytest.raises(SummcheckError, match=r"scores\.jsonl, line 4: not JSON"):
        list(rows)
    path.write_bytes(b'{"a": "caf\xc3\xa9"}\n{"a": "caf\xe9"}\n')   # line 2 is Latin-1
    assert JsonlRows(path)[0] == {"a": "café"}
    with pytest.raises(SummcheckError, match=r"scores\.jsonl, line 2: not JSON"):
        list(JsonlRows(path))


def _run(tmp_path: Path, name: str, window: int, monkeypatch) -> Path:
    config = tmp_path / "stream.yaml"
    config.write_text(
        "name: stream\n"
        "dataset: {source: bundled}\n"
        "summarizers: [{type: lead, k: 2}, {type: textrank, k: 2}]\n"
        "checks: {numbers: {}, entities: null}\n"
        "report: {formats: [md, csv]}\n")
    sizes: list[int] = []
    original = LocalBackend.generate

    def generate(self, summarizer, examples, *args, **kwargs):
        sizes.append(len(examples))
        return original(self, summarizer, examples, *args, **kwargs)

    monkeypatch.setattr(runner, "_WINDOW", window)
    monkeypatch.setattr(LocalBackend, "generate", generate)
    result = runner.run(load_config(config), out_dir=tmp_path / name,
                        cache_dir=tmp_path / f"{name}-cache", show_progress=False)
    assert max(sizes) <= window    # the runner never hands over more than one window
    return result.run_dir


def test_small_windows_write_the_same_run_folder(tmp_path, monkeypatch):
    whole = _run(tmp_path, "whole", 10_000, monkeypatch)
    windowed = _run(tmp_path, "windowed", 3, monkeypatch)
    for name in ("examples.jsonl", "scores.jsonl", "checks.jsonl", "report/scores.csv"):
        assert (windowed / name).read_text() == (whole / name).read_text(), name

    def untimed(run_dir: Path) -> list[dict]:
        return [{**row, "seconds": None} for row in JsonlRows(run_dir / "summaries.jsonl")]
    assert untimed(windowed) == untimed(whole)
    labels = [row["summarizer"] for row in JsonlRows(windowed / "scores.jsonl")]
    order = list(dict.fromkeys(labels))
    assert len(order) == 2 and labels == sorted(labels, key=order.index)   # grouped

    def results(run_dir: Path) -> list[dict]:
        drop = {"seconds_per_example", "n_generated"}
        return [{k: v for k, v in m.items() if k not in drop}
                for m in load_run(run_dir).results["summarizers"]]
    assert results(windowed) == results(whole)
    assert len(load_run(windowed).examples) >= 8


def test_load_run_names_a_missing_file(tmp_path, monkeypatch):
    run_dir = _run(tmp_path, "run", 10_000, monkeypatch)
    (run_dir / "scores.jsonl").unlink()
    with pytest.raises(SummcheckError, match=r"no scores\.jsonl"):
        load_run(run_dir)


def test_per_example_values_come_from_one_read_of_scores_and_checks(tmp_path, monkeypatch):
    run = load_run(_run(tmp_path, "run", 10_000, monkeypatch))
    scores = list(JsonlRows(run.run_dir / "scores.jsonl"))
    checks = list(JsonlRows(run.run_dir / "checks.jsonl"))
    reads: list[str] = []
    original = JsonlRows.__iter__

    def counting(self):
        reads.append(self.path.name)
        return original(self)

    monkeypatch.setattr(JsonlRows, "__iter__", counting)
    for label in run.labels():
        rows = run.rows().get(label)
        mine = [r for r in scores if r["summarizer"] == label]
        assert [k.tobytes() for k in rows.keys] == [id_key(r["example_id"]) for r in mine]
        assert list(rows.failed) == [bool(r.get("error")) for r in mine]
        assert list(rows.findings) == [len(r["findings"]) for r in checks
                                       if r["summarizer"] == label]
        for metric in ("rouge1_f", "numbers_precision", "no_such_metric"):
            expected = [r["scores"][metric] for r in mine
                        if r["scores"].get(metric) is not None]
            assert list(rows.values(metric)) == expected
    assert reads == ["scores.jsonl", "checks.jsonl"]


def test_jsonl_rows_where_is_a_filter_of_the_rows(tmp_path):
    """Rows msgspec cannot peek at (NaN, a non-object) are read in full; a bad line
    anywhere still raises, as iterating does."""
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"id": "a", "x": 1}\n{"x": 2}\n{"id": "b", "x": NaN}\n{"id": 3}\n'
                     b'[1]\n{"id": "a", "id": "c"}\n{"id": "a", "y": "\\u00e9"}\n')
    got = list(JsonlRows(path).where("id", lambda v: v in ("a", "b")))
    assert [r["id"] for r in got] == ["a", "b", "a"] and got[2]["y"] == "é"
    assert got[1]["x"] != got[1]["x"]   # NaN read back
    path.write_text('{"id": "z"}\n{oops\n')
    with pytest.raises(SummcheckError, match=r"rows\.jsonl, line 2: not JSON"):
        list(JsonlRows(path).where("id", lambda v: v == "a"))


def _same_rows(gathered: RunRows, read: RunRows) -> None:
    assert list(gathered.labels) == list(read.labels)
    assert gathered.metric_order == read.metric_order
    assert list(gathered.kinds.items()) == list(read.kinds.items())
    for label, mine in gathered.labels.items():
        theirs = read.labels[label]
        assert mine.names == theirs.names
        for field in ("keys", "failed", "findings", "matrix"):
            assert np.array_equal(getattr(mine, field), getattr(theirs, field),
                                  equal_nan=field == "matrix"), (label, field)


@pytest.mark.parametrize("window", [10_000, 3])
def test_the_rows_a_run_gathers_equal_its_files_read_back(tmp_path, monkeypatch, window):
    """The run hands its reports the per-example rows it gathered as it wrote them, and
    scores.csv's lines: the same as reading scores.jsonl and checks.jsonl back (failures,
    findings of two kinds, three summarizers, in one window or several), and so are the
    reports, byte for byte."""
    samples = Path(runner.__file__).parent / "data" / "samples" / "abstractive.jsonl"
    lines = samples.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "sums.jsonl").write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    config = tmp_path / "gather.yaml"
    config.write_text(
        "name: gather\n"
        "dataset: {source: bundled}\n"
        "summarizers: [{type: lead, k: 2}, {type: precomputed, name: sys, path: sums.jsonl},"
        " {type: textrank, k: 2}]\n"
        "checks: {numbers: {}, entities: null, support: null}\n"
        "bootstrap: {n: 100}\n"
        "report: {formats: [html, md, csv, json]}\n")
    gathered: list[RunRows] = []
    original = RunRows.gathered.__func__

    def keep(cls, builders):
        gathered.append(original(cls, builders))
        return gathered[-1]

    def no_read(*args):
        raise AssertionError("the run's reports read the rows back")

    reads: list[str] = []
    original_iter = JsonlRows.__iter__

    def counting(self):
        reads.append(self.path.name)
        return original_iter(self)

    monkeypatch.setattr(RunRows, "gathered", classmethod(keep))
    monkeypatch.setattr(RunRows, "read", no_read)
    monkeypatch.setattr(JsonlRows, "__iter__", counting)
    monkeypatch.setattr(runner, "_WINDOW", window)
    monkeypatch.setattr(LabelRowsBuilder, "_BATCH", min(window, 4096))   # rows moved at a time
    run_dir = runner.run(load_config(config), out_dir=tmp_path / "runs",
                         cache_dir=tmp_path / "cache", show_progress=False).run_dir
    monkeypatch.undo()
    assert "scores.jsonl" not in reads   # scores.csv from the lines the run rendered
    (rows,) = gathered
    read = load_run(run_dir).rows()
    assert read.kinds and rows.labels["sys"].failed.sum() == 1   # the test has its cases
    _same_rows(rows, read)
    first = {p.name: p.read_bytes() for p in (run_dir / "report").iterdir()}
    written = runner._write_reports(load_config(config), run_dir)   # rows read back
    assert len(written) == 4 and {p.name: p.read_bytes() for p in written.values()} == first


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_a_run_holds_a_few_files_open_per_summarizer(tmp_path, monkeypatch):
    """Each summarizer costs the run a bounded number of open files (its three row files,
    its metric columns, its keys table, its scores.csv lines), so a config comparing many
    checkpoints stays far below the usual limit of 1,024."""
    peaks: list[int] = []
    original = runner._score

    def counting(*args, **kwargs):
        result = original(*args, **kwargs)
        peaks[-1] = max(peaks[-1], len(list(Path("/proc/self/fd").iterdir())))
        return result

    monkeypatch.setattr(runner, "_score", counting)
    for n in (1, 6):
        config = tmp_path / f"m{n}.yaml"
        config.write_text(
            f"name: m{n}\ndataset: {{source: bundled}}\nsummarizers: ["
            + ", ".join(f"{{type: lead, k: {k}, name: l{k}}}" for k in range(1, n + 1))
            + "]\nchecks: {entities: null, support: null}\nbootstrap: {n: 100}\n")
        before = len(list(Path("/proc/self/fd").iterdir()))   # e.g. fonts a report opened
        peaks.append(0)
        runner.run(load_config(config), out_dir=tmp_path / f"runs{n}",
                   cache_dir=tmp_path / f"cache{n}", show_progress=False)
        peaks[-1] -= before
    assert 0 < (peaks[1] - peaks[0]) / 5 <= 6
