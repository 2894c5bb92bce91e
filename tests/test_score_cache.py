"""The score cache: a re-run scores nothing and writes identical files; any change to what
is scored (bullets, story, metric setup) scores again."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from summcheck import stats
from summcheck.metrics.rouge import RougeMetric
from summcheck.score_cache import ScoreCache, score_key, scoring_fingerprint
from summcheck.scoring import Scorer, _finite
from summcheck.types import Example, Summary


class CountingMetric:
    """ROUGE, counting how many summaries it really scored."""

    name = "rouge"

    def __init__(self, **kwargs):
        self.inner, self.scored = RougeMetric(("rouge1",), **kwargs), 0

    def signature(self) -> str:
        return self.inner.signature()

    def score(self, **kwargs):
        self.scored += 1
        return self.inner.score(**kwargs)


def pairs(n: int, suffix: str = "") -> list[tuple[Example, Summary]]:
    out = []
    for i in range(n):
        ex = Example(f"e{i}", f"Story {i}. The mayor spoke on day {i}.", (f"Mayor spoke {i}",))
        out.append((ex, Summary(ex.id, (f"The mayor spoke {i}{suffix}",))))
    return out


def test_second_scoring_reads_the_cache_and_gives_the_same_rows(tmp_path):
    metric = CountingMetric()
    first = Scorer([metric], [], cache=ScoreCache(tmp_path)).score(pairs(5))
    again = CountingMetric()
    second = Scorer([again], [], cache=ScoreCache(tmp_path)).score(pairs(5))
    assert metric.scored == 5 and again.scored == 0
    assert first == second and first[0]["scores"]["rouge1_f"] > 0


def test_a_run_of_cheap_metrics_only_keeps_no_score_rows(tmp_path):
    """rouge-score-rs costs less than a cache key: a ROUGE-only scorer writes nothing to
    the cache and gives the rows a cached scorer gives; one metric worth caching beside it
    brings the cache back for the whole row."""
    pytest.importorskip("rouge_score_rs")
    rust = RougeMetric(("rouge1", "rougeLsum"), backend="rust")
    assert not rust.worth_caching and RougeMetric(backend="python").worth_caching
    cheap = Scorer([rust], [], cache=ScoreCache(tmp_path / "cheap"))
    rows = [cheap.score(pairs(7)[:3]), cheap.score(pairs(7)[3:])]
    assert cheap.cache is None and not _cached_keys(tmp_path / "cheap")
    cached = Scorer([RougeMetric(("rouge1", "rougeLsum"), backend="python")], [],
                    cache=ScoreCache(tmp_path / "python")).score(pairs(7))
    assert rows[0] + rows[1] == cached and len(_cached_keys(tmp_path / "python")) == 7
    mixed = Scorer([rust, CountingMetric()], [], cache=ScoreCache(tmp_path / "mixed"))
    mixed.score(pairs(4))
    assert mixed.cache is not None and len(_cached_keys(tmp_path / "mixed")) == 4


def test_rouge_only_runs_give_the_same_rows_windowed_again_and_renamed(tmp_path, monkeypatch):
    """The run path without a score cache (ROUGE on rouge-score-rs only): a run's rows do
    not depend on its windows, on an earlier --limit run, on a second run into the same
    cache or on the example ids."""
    pytest.importorskip("rouge_score_rs")
    from summcheck import runner
    from summcheck.config import RunSpec

    def rows(prefix: str, tag: str, limit: int | None = None) -> dict:
        folder = tmp_path / prefix.strip("-")
        folder.mkdir(exist_ok=True)
        data, sums = folder / "data.jsonl", folder / "sums.jsonl"
        data.write_text("".join(json.dumps({"id": f"{prefix}{ex.id}", "article": ex.story,
                                            "highlights": list(ex.reference_bullets)}) + "\n"
                                for ex, _ in pairs(7)))
        sums.write_text("".join(json.dumps({"id": f"{prefix}{ex.id}",
                                            "summary": list(summ.bullets)}) + "\n"
                                for ex, summ in pairs(7, suffix=" today")))
        spec = RunSpec.model_validate({
            "name": "rouge-only", "limit": limit,
            "dataset": {"source": "hf", "path": "json", "data_files": str(data),
                        "split": "train",
                        "fields": {"id": "id", "story": "article", "highlights": "highlights"}},
            "summarizers": [{"type": "precomputed", "name": "pre", "path": str(sums)}],
            "metrics": {"rouge": {"types": ["rouge1", "rougeLsum"]}},
            "checks": {"numbers": None, "entities": None, "support": None},
            "report": {"enabled": False}})
        run_dir = runner.run(spec, out_dir=tmp_path / tag, cache_dir=tmp_path / "cache",
                             show_progress=False).run_dir
        lines = (run_dir / "scores.jsonl").read_text().splitlines()
        return {json.loads(x)["example_id"].removeprefix(prefix): json.loads(x)["scores"]
                for x in lines}

    whole = rows("", "whole")
    assert len(whole) == 7 and whole["e3"]["rouge1_f"] > 0
    rows("", "limited", limit=3)
    again = rows("", "again")
    monkeypatch.setattr(runner, "_WINDOW", 2)
    windowed = rows("", "windowed")
    renamed = rows("x-", "renamed")
    assert whole == again == windowed == renamed
    assert not _cached_keys(tmp_path / "cache")


def _cached_keys(folder) -> list:
    cache = ScoreCache(folder)
    try:
        return cache._db.execute("SELECT key FROM scores").fetchall()
    finally:
        cache.close()


class NonFiniteMetric:
    """A metric with no finite value for some summaries (0/0, a diverging ratio)."""

    name = "odd"

    def signature(self) -> str:
        return "odd-v1"

    def score(self, prediction, references):
        n = len(prediction[0])
        return {"odd_nan": float("nan") if n % 2 else 0.5, "odd_inf": float("inf"), "odd_ok": 1.0}


def test_rows_are_the_same_cold_and_cached_when_a_value_is_not_finite(tmp_path):
    """A non-finite value is no value (None) in every row, as the run files and the cache
    write it: a fresh row must not hold NaN where its cached copy holds None."""
    cold = Scorer([NonFiniteMetric()], [], cache=ScoreCache(tmp_path)).score(pairs(3))
    cached = Scorer([NonFiniteMetric()], [], cache=ScoreCache(tmp_path)).score(pairs(3))
    uncached = Scorer([NonFiniteMetric()], []).score(pairs(3))
    as_text = [json.dumps(rows, sort_keys=True) for rows in (cold, cached, uncached)]
    assert as_text[0] == as_text[1] == as_text[2]
    assert cold[0]["scores"] == {"odd_nan": None, "odd_inf": None, "odd_ok": 1.0}


@given(st.dictionaries(st.text(max_size=3), st.none() | st.integers() | st.booleans()
                       | st.floats(allow_nan=True, allow_infinity=True)))
def test_finite_values_pass_and_others_become_none(values):
    """Each float that is not finite becomes None, every other value stays, whatever the
    mix (the fast path takes a finite sum as proof that all are finite)."""
    out = _finite(values)
    assert out == {k: None if isinstance(v, float) and not math.isfinite(v) else v
                   for k, v in values.items()} and out is not values


def test_changed_bullets_or_setup_are_scored_again(tmp_path):
    Scorer([CountingMetric()], [], cache=ScoreCache(tmp_path)).score(pairs(4))
    changed = CountingMetric()
    Scorer([changed], [], cache=ScoreCache(tmp_path)).score(pairs(4, suffix=" today"))
    assert changed.scored == 4
    unstemmed = CountingMetric(use_stemmer=False)
    Scorer([unstemmed], [], cache=ScoreCache(tmp_path)).score(pairs(4))
    assert unstemmed.scored == 4


def test_key_depends_on_setup_story_and_bullets():
    (ex, summ), = pairs(1)
    base = score_key(scoring_fingerprint(["a"]), ex, summ)
    assert base == score_key(scoring_fingerprint(["a"]), ex, summ)
    assert base != score_key(scoring_fingerprint(["b"]), ex, summ)
    other_story = Example(ex.id, ex.story + " More.", ex.reference_bullets)
    assert base != score_key(scoring_fingerprint(["a"]), other_story, summ)
    failed = Summary(ex.id, summ.bullets, error="boom")
    assert base != score_key(scoring_fingerprint(["a"]), ex, failed)


_SHORT = st.text(alphabet="ab ", max_size=3)
_EXAMPLE_PARTS = st.tuples(_SHORT, _SHORT, st.lists(_SHORT, max_size=2).map(tuple))
_SUMMARY_PARTS = st.tuples(st.lists(_SHORT, max_size=2).map(tuple), st.booleans())


@given(_EXAMPLE_PARTS, _EXAMPLE_PARTS, _SUMMARY_PARTS, _SUMMARY_PARTS, st.booleans())
def test_keys_equal_exactly_when_what_is_scored_is_equal(e1, e2, s1, s2, same_id):
    """Title, story, references, bullets and failure all in the key, each kept apart from
    its neighbours (("a", "b") is not ("a b",) nor ("ab",)); the ids in none of it. No
    bullets, or bullets without a letter or digit (("",), (" ",)), is a failure, with an
    error or without (scoring.score_batch)."""
    def pair(parts, summary, example_id):
        (title, story, refs), (bullets, failed) = parts, summary
        return (Example(example_id, story, refs, title),
                Summary(example_id, bullets, error="x" if failed else None))

    fingerprint = scoring_fingerprint(["a"])
    a = score_key(fingerprint, *pair(e1, s1, "one"))
    b = score_key(fingerprint, *pair(e2, s2, "one" if same_id else "two"))
    def scored(summary):
        bullets, failed = summary
        return bullets, failed or not any(b.strip() for b in bullets)

    assert (a == b) == ((e1, scored(s1)) == (e2, scored(s2)))


def test_aggregate_columns_equals_aggregate_one_by_one():
    rng = np.random.default_rng(3)
    cols = {"a": rng.random(257), "b": rng.random(257),
            "c": np.where(rng.random(257) < 0.2, np.nan, rng.random(257))}
    together = stats.aggregate_columns(cols, n_bootstrap=300, seed=7)
    for name, values in cols.items():
        alone = stats.aggregate(values, n_bootstrap=300, seed=7)
        got = together[name]
        assert got.n == alone.n
        assert abs(got.mean - alone.mean) < 1e-12
        assert abs(got.low - alone.low) < 1e-12 and abs(got.high - alone.high) < 1e-12


@pytest.mark.parametrize("chunk_elements", [500_000, 3_000, 1])
def test_resample_means_match_the_one_draw_definition(monkeypatch, chunk_elements):
    """One chunk, 17 chunks of 3 resamples (the next drawn on a thread), one a chunk."""
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", chunk_elements)
    values = np.random.default_rng(0).random(1000)
    rng = np.random.default_rng(11)
    expected = values[rng.integers(0, 1000, size=(50, 1000))].mean(axis=1)
    got = stats._resample_means(values, 50, 11)
    assert np.max(np.abs(got - expected)) < 1e-12
    assert json.dumps(list(got))   # plain floats


@pytest.mark.parametrize("name", ["scores.sqlite", "generations.sqlite"])
def test_a_garbage_cache_file_is_a_clear_error(tmp_path, name):
    from summcheck.errors import SummcheckError
    from summcheck.score_cache import ScoreCache
    from summcheck.summarizers.cache import GenerationCache

    (tmp_path / name).write_bytes(b"this is not sqlite" * 100)
    opener = ScoreCache if name == "scores.sqlite" else GenerationCache
    with pytest.raises(SummcheckError, match=rf"{name}: not a readable cache database.*delete it"):
        opener(tmp_path)
