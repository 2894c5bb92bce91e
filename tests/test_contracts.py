"""The plugin contracts: one base class per kind declares every capability the runner,
scoring and the backends use; every built-in plugin inherits it; a plugin that follows the
contract without inheriting is adopted with the defaults; the cache-then-generate and
cache-then-score steps are one path for both backends."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import summcheck
from summcheck.consistency.base import Check, CheckResult
from summcheck.metrics.base import Metric
from summcheck.plugins import adopt, overrides
from summcheck.score_cache import CachedScores, ScoreCache
from summcheck.summarizers.base import Summarizer
from summcheck.summarizers.cache import CachedSummaries, GenerationCache
from summcheck.types import Example, Summary

SRC = Path(summcheck.__file__).resolve().parent

# kind -> (its package, the methods that make a class one of that kind)
KINDS = {
    Summarizer: ("summcheck.summarizers", ("summarize", "fingerprint")),
    Metric: ("summcheck.metrics", ("score", "signature")),
    Check: ("summcheck.consistency", ("check", "signature")),
}

# Every capability the code that drives plugins uses, by kind.
CAPABILITIES = {
    Summarizer: ("label", "spec", "fingerprint", "summarize", "reads_example_id",
                 "caches_generations", "load", "preflight", "id_check", "check_ids",
                 "key_is_final"),
    Metric: ("name", "signature", "score", "score_many"),
    Check: ("name", "signature", "check", "check_many", "load_cache", "processes"),
}

# The modules that drive plugins: they call capabilities, never probe for them.
DRIVERS = ("runner.py", "scoring.py", "summarizers/cache.py", "backends/__init__.py",
           "backends/ray_backend.py", "evaluate_modules/__init__.py")


def plugin_classes(package: str, methods: tuple[str, ...]) -> list[type]:
    """Classes defined in the package's modules that have all of `methods`."""
    found = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and all(hasattr(cls, m) for m in methods):
                found.append(cls)
    return found


@pytest.mark.parametrize("base", list(KINDS), ids=lambda b: b.__name__)
def test_every_built_in_plugin_inherits_its_kinds_base_class(base):
    package, methods = KINDS[base]
    classes = [c for c in plugin_classes(package, methods) if c is not base]
    assert classes, f"no {base.__name__} found in {package}"
    assert [c.__name__ for c in classes if not issubclass(c, base)] == []


def test_the_built_in_plugins_are_found_by_the_scan():
    from summcheck.consistency.entities import EntityCheck
    from summcheck.consistency.numbers import NumberCheck
    from summcheck.metrics.rouge import RougeMetric
    from summcheck.summarizers.extractive import Lead
    from summcheck.summarizers.precomputed import Precomputed

    assert {Lead, Precomputed} <= set(plugin_classes(*KINDS[Summarizer]))
    assert RougeMetric in plugin_classes(*KINDS[Metric])
    assert {EntityCheck, NumberCheck} <= set(plugin_classes(*KINDS[Check]))


@pytest.mark.parametrize("base", list(CAPABILITIES), ids=lambda b: b.__name__)
def test_each_base_class_declares_every_capability_that_is_used(base):
    declared = set(vars(base)) | set(getattr(base, "__annotations__", {}))
    assert [name for name in CAPABILITIES[base] if name not in declared] == []


@pytest.mark.parametrize("path", DRIVERS)
def test_the_modules_that_drive_plugins_do_not_probe_for_capabilities(path):
    tree = ast.parse((SRC / path).read_text())
    probes = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr")
              and len(node.args) == 3 - (node.func.id == "hasattr")
              and isinstance(node.args[1], ast.Constant)
              and node.args[1].value in {c for caps in CAPABILITIES.values() for c in caps}]
    assert probes == [], f"{path} asks whether a plugin has a capability at lines {probes}"


@pytest.mark.parametrize("path", ["backends/__init__.py", "backends/ray_backend.py"])
def test_the_backends_import_no_private_names(path):
    tree = ast.parse((SRC / path).read_text())
    private = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.name.startswith("_")]
    runner = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              and any(alias.name == "runner" for alias in node.names)]
    assert private == [] and runner == []


# ---------------------------------------------------------------- the defaults
class Echo:
    """A summarizer written against the contract without inheriting it, with no optional
    capability."""

    label = "echo"

    def __init__(self):
        self.calls: list[list[str]] = []

    def fingerprint(self):
        return "echo-1"

    def summarize(self, examples):
        self.calls.append([ex.id for ex in examples])
        return [Summary(ex.id, (ex.story,)) for ex in examples]


class Loading(Echo):
    def __init__(self):
        super().__init__()
        self.loaded = 0

    def load(self):
        self.loaded += 1

    def preflight(self):
        raise AssertionError("not called here")


def test_an_adopted_summarizer_has_the_defaults_and_keeps_its_own_methods():
    echo = adopt(Echo(), Summarizer)
    assert isinstance(echo, Summarizer) and echo.label == "echo"
    assert echo.reads_example_id is True and echo.caches_generations is True
    assert echo.load() is None and echo.id_check() is None
    assert echo.check_ids([Example("a", "s")]) == []
    assert not overrides(echo, Summarizer, "preflight")
    loading = Loading()
    adopted = adopt(loading, Summarizer)
    adopted.load()
    assert loading.loaded == 1 and overrides(adopted, Summarizer, "preflight")
    adopted.label = "renamed"            # written through to the plugin
    assert loading.label == "renamed"


def test_adopt_returns_a_subclass_instance_itself_and_refuses_a_missing_method():
    from summcheck.consistency.numbers import NumberCheck

    check = NumberCheck()
    assert adopt(check, Check) is check
    assert not overrides(check, Check, "check_many")

    class NoSummarize:
        label = "x"

        def fingerprint(self):
            return "x"

    with pytest.raises(TypeError, match="NoSummarize is not a Summarizer: it has no summarize"):
        adopt(NoSummarize(), Summarizer)


def test_default_score_many_and_check_many_go_one_by_one():
    class Length(Metric):
        name = "length"

        def signature(self):
            return "length"

        def score(self, *, prediction, references):
            return {"length": float(len(prediction))}

    class Nothing(Check):
        name = "nothing"

        def signature(self):
            return "nothing"

        def check(self, *, source, summary, reference=None):
            return CheckResult({"nothing": float(len(source) + len(summary))})

    items = [(["a", "b"], [["r"]]), ([], [["r"]])]
    assert Length().score_many(items) == [{"length": 2.0}, {"length": 0.0}]
    results = Nothing().check_many([("ab", ["x"], None), ("", [], ["r"])])
    assert [r.scores["nothing"] for r in results] == [3.0, 0.0]
    assert Nothing().load_cache("/nonexistent") == 0 and Nothing().processes == 1
    assert Nothing().start_many([("ab", ["x"], None)]) is False


def test_a_check_that_started_work_is_collected_after_the_others_results_in_order():
    """score_batch calls every check's start_many, from the last check to the first, then
    check_many: those that started work on other cores last (the others run meanwhile);
    the results keep the checks' order, whatever order they ran in."""
    from summcheck.scoring import score_batch

    calls = []

    class Recorder(Check):
        def __init__(self, name, starts):
            self.name, self.starts = name, starts

        def signature(self):
            return self.name

        def start_many(self, items):
            calls.append(("start", self.name))
            return self.starts

        def check(self, *, source, summary, reference=None):
            calls.append(("check", self.name))
            return CheckResult({f"{self.name}_precision": 1.0})

    class Unstarted:        # a plugin without start_many: adopted with the default
        name = "plain"

        def signature(self):
            return "plain"

        def check(self, *, source, summary, reference=None):
            calls.append(("check", "plain"))
            return CheckResult({"plain_precision": 1.0})

    checks = [Recorder("first", True), Unstarted(), Recorder("last", False)]
    rows = score_batch([Example("a", "The story.", ("ref",))],
                       [Summary("a", ("A bullet.",))], [], checks)
    assert calls == [("start", "last"), ("start", "first"), ("check", "plain"),
                     ("check", "last"), ("check", "first")]
    assert [r.scores for r in rows[0][1]] == [{"first_precision": 1.0},
                                             {"plain_precision": 1.0},
                                             {"last_precision": 1.0}]


# ---------------------------------------------------------------- the shared steps
def test_cached_summaries_takes_batches_in_any_order_and_shares_equal_inputs(tmp_path):
    class Pure(Echo):
        reads_example_id = False

    examples = [Example("a", "one"), Example("b", "two two"), Example("c", "one")]
    cache = GenerationCache(tmp_path)
    progress: list[int] = []
    step = CachedSummaries(Pure(), examples, cache, progress.append)
    assert [ex.id for ex in step.todo] == ["b", "a"]   # one per input, longest first
    step.add([Summary("a", ("one",))])                 # finished out of order
    step.add([Summary("b", ("two two",))])
    summaries, generated = step.result()
    assert [s.example_id for s in summaries] == ["a", "b", "c"] and generated == 2
    assert summaries[2].bullets == ("one",) and progress == [0, 2, 1]
    again = CachedSummaries(Pure(), examples, cache, lambda n: None)
    assert again.todo == [] and again.result()[1] == 0
    cache.close()


def pairs(n: int) -> list[tuple[Example, Summary]]:
    return [(Example(f"e{i}", f"story {i}"), Summary(f"e{i}", (f"bullet {i}",)))
            for i in range(n)]


def test_cached_scores_streams_rows_in_order_taking_each_batch_when_due(tmp_path):
    cache = ScoreCache(tmp_path)
    first = CachedScores("fp", cache, pairs(2))
    list(first.in_order([[{"n": 0}, {"n": 1}]]))           # e0, e1 now cached
    step = CachedScores("fp", cache, pairs(5))
    assert [e.id for e, _ in step.todo] == ["e2", "e3", "e4"]
    taken: list[int] = []

    def batches():
        for batch in ([{"n": 2}, {"n": 3}], [{"n": 4}]):
            taken.append(len(batch))
            yield batch

    rows = step.in_order(batches())
    assert [next(rows)["n"] for _ in range(3)] == [0, 1, 2] and taken == [2]
    assert [row["n"] for row in rows] == [3, 4] and taken == [2, 1]
    assert CachedScores("fp", cache, pairs(5)).todo == []   # each batch was cached
    assert CachedScores("other", cache, pairs(1)).todo == pairs(1)
    cache.close()


def test_cached_scores_without_a_cache_scores_everything():
    step = CachedScores("fp", None, pairs(2))
    assert step.todo == pairs(2)
    assert list(step.in_order([[{"n": 0}], [{"n": 1}]])) == [{"n": 0}, {"n": 1}]


# ---------------------------------------------------------------- a summarizer's answer
_BREAKS = {
    "reordered": lambda out: out[::-1],
    "one missing": lambda out: out[:-1],
    "one extra": lambda out: out + out[:1],
    "renamed": lambda out: [Summary(s.example_id + "x", s.bullets) for s in out],
    "a string": lambda out: "\n".join(b for s in out for b in s.bullets),
    "dicts": lambda out: [s.to_dict() for s in out],
}


@pytest.mark.parametrize("breaks", sorted(_BREAKS))
@pytest.mark.parametrize("batch_size", [1, 3])
def test_a_summarizer_breaking_the_contract_stops_the_run_keeping_finished_batches(
        tmp_path, breaks, batch_size):
    """A summary under the wrong id would score against another story, and a count or
    order that does not fit was zipped into a crash (or, alone, recorded as one failed
    example): it is a SummcheckError naming the summarizer, and the batches finished
    before it stay cached."""
    from summcheck.errors import SummcheckError
    from summcheck.summarizers.cache import summarize_with_cache

    class Breaks(Echo):
        def summarize(self, examples):
            out = super().summarize(examples)
            return _BREAKS[breaks](out) if len(self.calls) > 1 else out

    examples = [Example(f"e{i}", f"story {i}" + " long" * (9 - i)) for i in range(6)]
    cache = GenerationCache(tmp_path)
    summarizer = Breaks()
    if breaks == "reordered" and batch_size == 1:     # one summary is its own order
        summaries, _ = summarize_with_cache(summarizer, examples, cache, batch_size=1)
        assert [s.example_id for s in summaries] == [ex.id for ex in examples]
        return
    with pytest.raises(SummcheckError, match="summarizer 'echo' returned .*one Summary "
                                             "per example, in the order given"):
        summarize_with_cache(summarizer, examples, cache, batch_size=batch_size)
    kept = cache.get_many(adopt(Echo(), Summarizer), examples)
    assert sorted(kept) == [ex.id for ex in examples[:batch_size]]
    assert all(kept[i].bullets == (ex.story,) for ex in examples if (i := ex.id) in kept)
    cache.close()


def test_a_summary_given_as_one_string_is_refused_by_every_check_and_metric():
    """A str is a Sequence[str]: "Obama met Putin." was checked letter by letter (no
    name, no pair: precision 1.0), and ROUGE scored a string reference as one-letter
    bullets, all silently."""
    from summcheck.consistency.numbers import NumberCheck
    from summcheck.consistency.support import SupportCheck
    from summcheck.metrics.rouge import RougeMetric

    story, text = "Biden met Putin twice in 2021.", "Obama met Putin 3 times."
    for check in (NumberCheck(), SupportCheck(method="lexical")):
        with pytest.raises(TypeError, match="summary: a list of bullets"):
            check.check(source=story, summary=text)
        with pytest.raises(TypeError, match="reference: a list of bullets"):
            check.check_many([(story, [text], "Biden met Putin.")])
    rouge = RougeMetric(["rouge1"])
    with pytest.raises(TypeError, match="prediction: a list of bullets"):
        rouge.score(prediction=text, references=[[story]])
    with pytest.raises(TypeError, match="each reference: a list of bullets"):
        rouge.score(prediction=[text], references=[story])
    assert rouge.score(prediction=[text], references=[[story]])["rouge1_f"] > 0


class _SkipsEmpty(Metric):
    """A plugin metric that answers {} for an empty summary, as if it did not apply."""

    name = "plugin"

    def signature(self) -> str:
        return "plugin"

    def score(self, *, prediction, references):
        if not prediction:
            return {}
        return {"plugin_f": 1.0, "plugin_count": 2.0} if references and references[0] \
            else {"plugin_free": 1.0}


class _SkipsEmptyCheck(Check):
    name = "plugin_check"

    def signature(self) -> str:
        return "plugin-check"

    def check(self, *, source, summary, reference=None):
        return CheckResult({} if not summary else {"plugin_check_precision": 1.0})


@given(st.lists(st.tuples(st.sampled_from(["ok", "error", "empty", "dots"]), st.booleans()),
                min_size=1, max_size=8))
@settings(deadline=None)
def test_a_failed_summary_scores_0_in_every_mean_also_for_a_plugin_that_answers_nothing(rows):
    """A plugin metric or check that returned {} for a failed summary left the failure out
    of its mean (fewer rows, a better mean). A failed summary now gets 0 on every rate its
    plugin gives a real summary of that example, and no count; a reference metric still
    does not apply to an example without a reference."""
    from summcheck.scoring import score_batch

    examples = [Example(str(i), "The mayor opened a bridge.", ("A bridge opened.",) if ref
                        else ()) for i, (_, ref) in enumerate(rows)]
    made = {"ok": {"bullets": ("The mayor spoke.",)}, "error": {"bullets": (), "error": "x"},
            "empty": {"bullets": ()}, "dots": {"bullets": ("...",)}}
    summaries = [Summary(str(i), **made[kind]) for i, (kind, _) in enumerate(rows)]
    scored = score_batch(examples, summaries, [_SkipsEmpty(), ], [_SkipsEmptyCheck()])
    for (kind, ref), (values, _) in zip(rows, scored):
        rate = "plugin_f" if ref else "plugin_free"
        if kind == "ok":
            assert values[rate] == 1.0 and values["plugin_check_precision"] == 1.0
        else:
            assert values == {rate: 0.0, "plugin_check_precision": 0.0}
