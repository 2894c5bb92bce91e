"""The run's examples file: what the survey writes is what the windows read back, in any
window, after a restart, for any text; a stopped run leaves nothing behind."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck import example_file, runner
from summcheck.config import load_config
from summcheck.example_file import ExampleFile
from summcheck.types import Example

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)   # UTF-8 can hold
finite = st.floats(allow_nan=False, allow_infinity=False)   # others are written as null
metas = st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | texts
                        | st.integers(-2**80, 2**80) | finite, max_size=3)
examples = st.builds(Example, id=texts, story=texts, reference_bullets=st.tuples(texts, texts),
                     title=texts, meta=metas)


def _fields(example: Example) -> tuple:
    return (example.id, example.story, example.reference_bullets, example.title, example.meta)


@settings(max_examples=60, deadline=None)
@given(st.lists(examples, max_size=12), st.lists(examples, max_size=3), st.data())
def test_examples_read_back_are_the_ones_added(tmp_path_factory, kept, dropped, data):
    """Fields equal (meta too: Example's == skips it, ints beyond 64 bits included), in
    one read or any slice, after the examples added before a restart are forgotten."""
    with ExampleFile(tmp_path_factory.mktemp("examples")) as written:
        for example in dropped:
            written.add(example)
        written.restart()
        for example in kept:
            written.add(example)
        rows = written.examples()
        assert len(rows) == len(kept)
        assert [_fields(e) for e in rows] == [_fields(e) for e in kept]
        start = data.draw(st.integers(0, len(kept)))
        stop = data.draw(st.integers(start, len(kept)))
        assert [_fields(e) for e in rows[start:stop]] == [_fields(e) for e in kept[start:stop]]


def test_the_file_becomes_the_run_folders_examples_and_is_named_for_its_process(tmp_path):
    runs = tmp_path / "new" / "runs"
    with ExampleFile(runs) as written:
        assert written.path.name.startswith(f".examples-{os.getpid()}-")
        written.add(Example("a", "story"))
        written.examples()
        (runs / "run").mkdir()
        written.move_to(runs / "run" / "examples.jsonl")
    assert (runs / "run" / "examples.jsonl").read_text() == \
        '{"id":"a","story":"story","reference_bullets":[],"title":"","meta":{}}\n'
    assert list(runs.iterdir()) == [runs / "run"]


def test_a_discarded_file_takes_the_folders_made_for_it(tmp_path):
    (tmp_path / "kept").mkdir()
    with ExampleFile(tmp_path / "kept" / "a" / "b"):
        pass
    assert list(tmp_path.iterdir()) == [tmp_path / "kept"]
    assert list((tmp_path / "kept").iterdir()) == []


def test_only_the_files_of_dead_processes_are_removed(tmp_path):
    dead = tmp_path / f".examples-{2**22 + 12345}-1-x.partial"   # beyond pid_max's default
    alive = tmp_path / f".examples-{os.getpid()}--y.partial"    # start time unknown
    unrelated = tmp_path / ".examples-notes.partial"
    for path in (dead, alive, unrelated):
        path.write_text("{}\n")
    with ExampleFile(tmp_path):
        assert not dead.exists() and alive.exists() and unrelated.exists()


@pytest.mark.parametrize("where", ["data", "scoring"])
def test_a_run_that_stops_leaves_no_examples_file(tmp_path, monkeypatch, where):
    config = tmp_path / "c.yaml"
    config.write_text("name: stop\ndataset: {source: bundled}\nsummarizers: [{type: lead, k: 2}]\n"
                      "checks: {numbers: {}, entities: null, support: null}\n"
                      "report: {enabled: false}\n")
    (tmp_path / "runs").mkdir()

    def fail(*args, **kwargs):
        raise RuntimeError("stopped")

    monkeypatch.setattr(runner, "_load" if where == "data" else "_score", fail)
    with pytest.raises(RuntimeError, match="stopped"):
        runner.run(load_config(config), out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                   show_progress=False)
    left = list((tmp_path / "runs").iterdir())
    assert len(left) == (0 if where == "data" else 1)   # the run folder, once named
    assert not [p for p in (tmp_path / "runs").rglob("*") if "examples" in p.name]


def test_the_decoder_falls_back_for_what_msgspec_refuses(monkeypatch):
    line = b'{"id":"a","story":"s","reference_bullets":["b"],"title":"","meta":{"n":NaN}}'
    example = example_file._example(line)
    assert _fields(example)[:4] == ("a", "s", ("b",), "")
    assert example.meta["n"] != example.meta["n"]   # NaN, as json reads it
