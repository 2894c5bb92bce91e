import pytest

from summcheck.summarizers.cache import GenerationCache, summarize_with_cache
from summcheck.types import Example, Summary


class Counting:
    """A fake summarizer that records what it was asked to summarize."""

    label = "fake"

    def __init__(self, version="v1", fail_on=(), interrupt_after=None, empty_on=()):
        self.version, self.fail_on, self.empty_on = version, set(fail_on), set(empty_on)
        self.interrupt_after = interrupt_after
        self.seen: list[str] = []

    def fingerprint(self):
        return f"fake-{self.version}"

    def summarize(self, examples):
        if self.interrupt_after is not None and len(self.seen) >= self.interrupt_after:
            raise KeyboardInterrupt
        out = []
        for ex in examples:
            if ex.id in self.fail_on:
                raise RuntimeError(f"boom on {ex.id}")
            self.seen.append(ex.id)
            bullets = () if ex.id in self.empty_on else (f"{self.version}:{ex.story}",)
            out.append(Summary(ex.id, bullets))
        return out


EXAMPLES = [Example(f"e{i}", f"story {i}") for i in range(5)]


@pytest.fixture()
def cache(tmp_path):
    c = GenerationCache(tmp_path / "cache")
    yield c
    c.close()


def test_second_run_generates_nothing(cache):
    first, generated = summarize_with_cache(Counting(), EXAMPLES, cache, batch_size=2)
    again = Counting()
    second, regenerated = summarize_with_cache(again, EXAMPLES, cache, batch_size=2)
    assert generated == 5 and regenerated == 0 and again.seen == []
    assert [s.bullets for s in first] == [s.bullets for s in second]
    assert [s.example_id for s in second] == [e.id for e in EXAMPLES]


def test_interrupted_run_keeps_finished_batches(cache):
    with pytest.raises(KeyboardInterrupt):
        summarize_with_cache(Counting(interrupt_after=2), EXAMPLES, cache, batch_size=2)
    resumed = Counting()
    summaries, generated = summarize_with_cache(resumed, EXAMPLES, cache, batch_size=2)
    assert sorted(resumed.seen) == ["e2", "e3", "e4"] and generated == 3
    assert all(s.bullets for s in summaries)


def test_changed_fingerprint_or_content_is_regenerated(cache):
    summarize_with_cache(Counting("v1"), EXAMPLES, cache, batch_size=5)
    changed_model = Counting("v2")
    summaries, _ = summarize_with_cache(changed_model, EXAMPLES, cache, batch_size=5)
    assert len(changed_model.seen) == 5 and summaries[0].bullets == ("v2:story 0",)
    edited = [EXAMPLES[0].__class__("e0", "a new story")] + EXAMPLES[1:]
    model = Counting("v1")
    summaries, _ = summarize_with_cache(model, edited, cache, batch_size=5)
    assert model.seen == ["e0"] and summaries[0].bullets == ("v1:a new story",)


def test_failing_example_is_isolated_recorded_and_retried_later(cache):
    summaries, _ = summarize_with_cache(Counting(fail_on={"e1"}), EXAMPLES, cache, batch_size=5)
    assert summaries[1].error == "RuntimeError: boom on e1" and summaries[1].bullets == ()
    assert all(s.error is None for i, s in enumerate(summaries) if i != 1)
    retry = Counting()
    summaries, generated = summarize_with_cache(retry, EXAMPLES, cache, batch_size=5)
    assert retry.seen == ["e1"] and generated == 1 and summaries[1].error is None


def test_empty_output_is_a_recorded_failure(cache):
    summaries, _ = summarize_with_cache(Counting(empty_on={"e2"}), EXAMPLES, cache, batch_size=5)
    assert summaries[2].error == "empty summary"


class ById(Counting):
    """Output depends on the id (like a precomputed file); declares nothing."""

    def summarize(self, examples):
        return [Summary(ex.id, (f"{ex.id}:{ex.story}",)) for ex in examples]


class Pure(Counting):
    reads_example_id = False


def test_a_pure_summarizer_shares_summaries_of_identical_content(cache):
    summarize_with_cache(Pure(), [Example("x", "same")], cache, batch_size=1)
    model = Pure()
    summaries, generated = summarize_with_cache(model, [Example("y", "same")], cache, batch_size=1)
    assert generated == 0 and summaries[0].example_id == "y"


def test_a_pure_summarizer_generates_each_distinct_input_once(cache):
    model = Pure()
    examples = [Example("a1", "one"), Example("b1", "two"), Example("a2", "one"),
                Example("a3", "one", title="other title")]
    summaries, generated = summarize_with_cache(model, examples, cache, batch_size=2)
    assert generated == 3 and sorted(model.seen) == ["a1", "a3", "b1"]
    assert [s.example_id for s in summaries] == ["a1", "b1", "a2", "a3"]
    assert summaries[2].bullets == summaries[0].bullets


@pytest.mark.parametrize("split", [False, True])
def test_a_summarizer_that_does_not_declare_purity_is_keyed_by_id(cache, split):
    """The id is part of the key unless a summarizer says its output ignores it, in one
    call or across calls (a later window, a --limit run followed by a full one)."""
    examples = [Example("doc1-systemA", "same story"), Example("doc1-systemB", "same story")]
    calls = [examples[:1], examples] if split else [examples]
    for part in calls:
        summaries, _ = summarize_with_cache(ById(), part, cache, batch_size=2)
    assert [s.bullets for s in summaries] == [("doc1-systemA:same story",),
                                             ("doc1-systemB:same story",)]


def test_batches_hold_similar_lengths_longest_first(cache):
    examples = [Example("s", "ab"), Example("l", "a" * 50), Example("m", "a" * 20), Example("t", "a")]
    model = Counting()
    summaries, _ = summarize_with_cache(model, examples, cache, batch_size=2)
    assert model.seen == ["l", "m", "s", "t"]
    assert [s.example_id for s in summaries] == ["s", "l", "m", "t"]
