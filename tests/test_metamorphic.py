"""Metamorphic tests of the caches: every summarizer type gives each example the same
summary, scores and findings however the run is cut up.

The dataset is the multi-system shape users compare (FRANK, SummEval, REALSumm): each
story appears under several ids, and a precomputed file gives each id its own summary.
A row must be the same as in a cold run of its example alone, whether the run is split
into windows that separate a story's ids, preceded by a `--limit` run into the same
cache, or run with every id renamed. Model summarizers are tiny models built here
(gemma-270m's preset on a tiny causal model standing in for the converted GGUF).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("datasets")
pytest.importorskip("spacy")

import tiny_models  # noqa: E402

from summcheck import embeddings, runner  # noqa: E402
from summcheck.config import RunSpec  # noqa: E402
from summcheck.summarizers import gemma  # noqa: E402

STORIES = [
    ("The council approved a budget of 12 million pounds on Monday. The mayor, Jane Smith, "
     "said the vote was close. Opposition leader Tom Reed called it reckless.",
     "Council approves 12 million pound budget.\nMayor Jane Smith says the vote was close."),
    ("Flooding closed 40 schools in Leeds on Tuesday. About 3,000 pupils stayed home. "
     "The Environment Agency issued 15 flood warnings across Yorkshire.",
     "Floods close 40 schools in Leeds.\nThe Environment Agency issues 15 warnings."),
    ("Apple sold 50 million phones in the quarter, up 8 percent. Chief executive Tim Cook "
     "said demand in China was strong. Shares rose 3 percent in New York.",
     "Apple sells 50 million phones, up 8 percent.\nTim Cook cites demand in China."),
]
# (story index, system): three systems per story, interleaved so windows split stories
ROWS = [(s, sys) for sys in ("sysA", "sysB", "sysC") for s in range(len(STORIES))]
SUMMARIES = {
    "sysA": ["The council approved a 12 million pound budget.",
             "Floods closed 40 schools in Leeds.", "Apple sold 50 million phones."],
    "sysB": ["Mayor John Brown vetoed a 40 million pound budget.",
             "Floods closed 14 schools in York.", "Tim Cook said sales fell 8 percent."],
    "sysC": ["", "The Environment Agency issued warnings.", "Shares rose 3 percent."],
}
GEN = {"max_new_tokens": 10, "min_new_tokens": 3, "do_sample": False}
SAMPLED = {**GEN, "do_sample": True, "top_k": 20}


def example_id(story: int, system: str, prefix: str = "") -> str:
    return f"{prefix}doc{story}-{system}"


def write_data(folder: Path, rows, prefix: str = "") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data, sums = folder / "examples.jsonl", folder / "summaries.jsonl"
    data.write_text("".join(json.dumps({
        "id": example_id(s, sys, prefix), "article": STORIES[s][0],
        "highlights": STORIES[s][1]}) + "\n" for s, sys in rows))
    sums.write_text("".join(json.dumps({
        "id": example_id(s, sys, prefix), "summary": SUMMARIES[sys][s]}) + "\n"
        for s, sys in ROWS if SUMMARIES[sys][s]))   # sysC has no summary for story 0
    return data, sums


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"t5": tiny_models.build_tiny_t5(root / "t5"),
            "bart": tiny_models.build_tiny_bart(root / "bart"),
            "causal": tiny_models.build_tiny_causal(root / "causal"),
            "encoder": tiny_models.build_tiny_encoder(root / "encoder")}


@pytest.fixture()
def stand_ins(models, monkeypatch, tmp_path):
    """The embedding encoder and the gemma-270m preset on tiny models."""
    monkeypatch.setenv(embeddings.ENV_DIR, str(models["encoder"]))
    monkeypatch.setattr(gemma, "require_extra", lambda: None)
    monkeypatch.setattr(gemma, "convert_gguf",
                        lambda out: tiny_models.build_tiny_causal(out))
    return tmp_path / "gemma-cache"


def spec_for(data: Path, sums: Path, models: dict, gemma_cache: Path, *,
             precomputed: bool = True) -> RunSpec:
    summarizers = [
        {"type": "lead", "k": 2}, {"type": "textrank", "k": 2}, {"type": "oracle", "k": 2},
        *([{"type": "precomputed", "path": str(sums), "max_missing": 0.5}] * precomputed),
        {"type": "hf-seq2seq", "name": "t5", "model": str(models["t5"]), "batch_size": 4,
         "generation": GEN},
        {"type": "hf-seq2seq", "name": "bart-sampled", "model": str(models["bart"]),
         "batch_size": 4, "generation": SAMPLED},
        {"type": "hf-causal", "name": "causal", "model": str(models["causal"]),
         "batch_size": 4, "max_input_tokens": 96, "generation": GEN},
        {"type": "embedding", "k": 2},
        {"type": "gemma-270m", "cache_dir": str(gemma_cache), "max_input_tokens": 96,
         "generation": GEN},
    ]
    return RunSpec.model_validate({
        "name": "meta", "dataset": {
            "source": "hf", "path": "json", "data_files": str(data), "split": "train",
            "fields": {"id": "id", "story": "article", "highlights": "highlights"}},
        "summarizers": summarizers, "bootstrap": {"n": 100},
        "report": {"enabled": False}})


def rows_of(run_dir: Path, prefix: str = "") -> dict[tuple[str, str], dict]:
    """{(summarizer, example id without `prefix`): summary, scores and findings}."""
    out: dict[tuple[str, str], dict] = {}
    for name in ("summaries.jsonl", "scores.jsonl", "checks.jsonl"):
        for line in (run_dir / name).read_text().splitlines():
            row = json.loads(line)
            key = (row.pop("summarizer"), row.pop("example_id").removeprefix(prefix))
            for volatile in ("seconds", "fingerprint", "meta"):
                row.pop(volatile, None)
            out.setdefault(key, {}).update(row)
    return out


def run_once(spec: RunSpec, out: Path, cache: Path, limit: int | None = None) -> Path:
    if limit is not None:
        spec = spec.model_copy(update={"limit": limit})
    return runner.run(spec, out_dir=out, cache_dir=cache, show_progress=False).run_dir


@pytest.fixture()
def cold_alone(tmp_path, models, stand_ins) -> dict:
    """Each example run alone, every time with a new cache (the reference rows). An id
    the precomputed file lacks cannot run alone (no id matching stops a run): its row is
    checked on its own in the test."""
    rows: dict = {}
    for i, (story, system) in enumerate(ROWS):
        data, sums = write_data(tmp_path / f"alone{i}", [(story, system)])
        spec = spec_for(data, sums, models, stand_ins,
                        precomputed=bool(SUMMARIES[system][story]))
        run_dir = run_once(spec, tmp_path / f"alone{i}", tmp_path / f"alone{i}" / "cache")
        rows.update(rows_of(run_dir))
    return rows


@pytest.mark.slow
def test_rows_do_not_depend_on_windows_limit_runs_or_ids(tmp_path, models, stand_ins,
                                                          cold_alone, monkeypatch):
    assert len(cold_alone) == len(ROWS) * 9 - 1
    data, sums = write_data(tmp_path / "all", ROWS)
    spec = spec_for(data, sums, models, stand_ins)
    monkeypatch.setattr(runner, "_WINDOW", 2)        # windows split every story's ids
    cache = tmp_path / "shared-cache"
    run_once(spec, tmp_path / "limited", cache, limit=4)   # a --limit run first
    windowed = rows_of(run_once(spec, tmp_path / "full", cache))
    again = rows_of(run_once(spec, tmp_path / "again", cache))   # all from the caches
    renamed_data, renamed_sums = write_data(tmp_path / "renamed", ROWS, prefix="x-")
    renamed = rows_of(run_once(spec_for(renamed_data, renamed_sums, models, stand_ins),
                               tmp_path / "renamed", cache), prefix="x-")
    for name, rows in (("windowed", windowed), ("cached", again), ("renamed", renamed)):
        different = sorted(key for key in cold_alone if rows.get(key) != cold_alone[key])
        assert not different, f"{name}: rows differ from cold single-example runs: {different}"
        failed = rows[("precomputed", example_id(0, "sysC"))]
        assert failed["bullets"] == [] and "no summary for id" in failed["error"]
        assert failed["scores"]["rouge1_f"] == failed["scores"]["consistency"] == 0.0


@pytest.mark.slow
def test_precomputed_rows_are_the_files_own_summaries(tmp_path, models, stand_ins):
    """The shape of the reported bug: the same story under two ids, a --limit run, then a
    full run, and each id keeps the summary its file gives it."""
    data, sums = write_data(tmp_path / "d", ROWS)
    spec = spec_for(data, sums, models, stand_ins).model_copy(update={"summarizers": (
        spec_for(data, sums, models, stand_ins).summarizers[3],)})
    run_once(spec, tmp_path / "r1", tmp_path / "cache", limit=1)
    rows = rows_of(run_once(spec, tmp_path / "r2", tmp_path / "cache"))
    for s, sys in ROWS:
        expected = [SUMMARIES[sys][s]] if SUMMARIES[sys][s] else []
        assert rows[("precomputed", example_id(s, sys))]["bullets"] == expected
