"""Generation and scoring as Ray Data pipelines, on a local Ray instance or a cluster.

The driver (this process) keeps everything that touches disk: it looks up the generation
and score caches, sends only what they lack to Ray, and puts what comes back into the
caches and the run folder. So the cache, resume and the run folder are the local
backend's. Workers rebuild summarizers, metrics and checks from their specs; nothing
loaded is ever shipped.

A dataset row is one JSON-encoded batch, formed exactly as the local backend forms it
(same length-sorted examples, same batch size): batched models see the same padding, so
deterministic summarizers give the same outputs on both backends. JSON keeps Arrow out of
the per-example fields (meta dicts differ from row to row).

Failures: a summarizer that raises on an example records it as failed, as locally
(`_summarize_batch`). The summarizer runs in a child process of its actor, so an example
that kills the process is retried in a new one and, if it keeps killing it, recorded as
failed (SummarizeActor); an actor or node that dies is restarted by Ray and its batch
retried (`max_retries`). A SummcheckError (a model that cannot load, a missing extra,
versions that differ from the driver's) comes back as data and stops the run with its
message. Scoring tasks have Ray's default retries; a scoring error stops the run, as
locally.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import multiprocessing
import os
import signal
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence

from ..errors import ConfigError, MissingExtraError, SummcheckError
from ..score_cache import score_key
from ..summarizers.cache import _summarize_batch, distinct_inputs, record
from ..types import Example, Summary

# Pairs per scoring dataset: the driver holds one part's pairs as JSON at a time.
_PART = 20_000
_SCORING_CPUS = 1   # what a scoring task reserves, and so the cores its checks may use
_CRASHED = "the summarizer's process died on this example on every retry ({n})"


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingExtraError("ray", "ray") from None
    return ray


class RayBackend:
    name = "ray"
    # All examples in one window: each window would start its own Ray pipelines (about 7 s
    # each here, benchmarks/results/ray_backend.md), so the driver holds the whole run.
    window = None

    def __init__(self, spec, *, address: str | None = None):
        if importlib.util.find_spec("ray") is None:
            raise MissingExtraError("ray", "ray")
        self.settings, self.address = spec.ray, address
        self._spec_json = spec.model_dump_json()
        self._started = False
        unknown = set(spec.ray.summarizers) - {s.label for s in spec.summarizers}
        if unknown:
            raise ConfigError(f"ray.summarizers names {sorted(unknown)}, which are not "
                              f"summarizer names of this config")

    # ------------------------------------------------------------------ Ray itself
    def _ray(self):
        """Ray, started on first use: a run whose work is all cached never starts it.
        Without an address a new local instance (this machine's CPUs); with one, join."""
        ray = _import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address or "local", include_dashboard=False,
                     logging_level=logging.WARNING)
            self._started = True
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
        return ray

    def _dataset(self, rows: list[dict]):
        """Rows as a dataset of one block per row (so a batch is never split)."""
        ds = self._ray().data.from_items(rows, override_num_blocks=len(rows))
        ds.context.enable_progress_bars = False      # the runner shows progress
        ds.context.print_on_execution_start = False
        return ds

    def close(self) -> None:
        if self._started:
            _import_ray().shutdown()
            self._started = False

    # ------------------------------------------------------------------ generation
    def generate(self, summarizer, examples: Sequence[Example], cache, *, build: Callable,
                 batch_size: int, on_progress: Callable[[int], None]):
        fingerprint = summarizer.fingerprint()
        done = cache.get_many(summarizer, examples)
        on_progress(len(done))
        todo, copies = distinct_inputs(summarizer,
                                       [ex for ex in examples if ex.id not in done])
        by_id = {ex.id: ex for ex in todo}
        pool = self._pool(summarizer.label, batch_size)
        size = pool.pop("batch_size")
        batches = [todo[i:i + size] for i in range(0, len(todo), size)]
        for summaries in self._summarize(batches, build, fingerprint, pool):
            cache.put_many(summarizer, [(by_id[s.example_id], s) for s in summaries])
            on_progress(record(summaries, copies, done))
        return [done[ex.id] for ex in examples], len(todo)

    def _pool(self, label: str, batch_size: int) -> dict:
        """Actor pool settings: the `ray:` defaults, then this summarizer's overrides."""
        s = self.settings
        pool = {"concurrency": s.concurrency, "batch_size": s.batch_size or batch_size,
                "num_cpus": s.num_cpus, "num_gpus": s.num_gpus}
        override = s.summarizers.get(label)
        if override:
            pool.update(override.model_dump(exclude_none=True))
        return pool

    def _summarize(self, batches: list[list[Example]], build: Callable, fingerprint: str,
                   pool: dict) -> Iterator[list[Summary]]:
        """Summaries of each batch, as batches finish (in any order)."""
        if not batches:
            return
        ray, retries = self._ray(), self.settings.max_retries
        ds = self._dataset([{"batch": json.dumps([ex.to_dict() for ex in batch],
                                                 ensure_ascii=False)} for batch in batches])
        job = ray.cloudpickle.dumps((build, fingerprint))  # by value where the caller asked
        with warnings.catch_warnings():
            # Ray 2.60 deprecates max_task_retries here; its default, retry forever, would
            # never end if an actor process itself kept dying
            warnings.simplefilter("ignore", DeprecationWarning)
            out = ds.map_batches(
                SummarizeActor, fn_constructor_kwargs={"job": job, "retries": retries},
                batch_size=1, num_cpus=pool["num_cpus"], num_gpus=pool["num_gpus"],
                compute=ray.data.ActorPoolStrategy(size=min(pool["concurrency"], len(batches))),
                max_task_retries=retries)
        for row in out.iter_rows():
            yield [Summary.from_dict(d) for d in _payload(row)["summaries"]]

    # ------------------------------------------------------------------ scoring
    def score(self, scorer, pairs: Sequence[tuple[Example, Summary]]) -> Iterator[dict]:
        for start in range(0, len(pairs), _PART):
            yield from self._score_part(scorer, pairs[start:start + _PART])

    def _score_part(self, scorer, pairs: Sequence[tuple[Example, Summary]]) -> Iterator[dict]:
        """Cached rows from the driver's score cache, the others scored on Ray; in order."""
        keys = [score_key(scorer.fingerprint, e, s) for e, s in pairs]
        found = scorer.cache.get_many(keys) if scorer.cache else {}
        todo = [i for i, key in enumerate(keys) if key not in found]
        step = self.settings.scoring_batch_size
        chunks = [todo[i:i + step] for i in range(0, len(todo), step)]
        scored = self._scored_chunks([[pairs[i] for i in chunk] for chunk in chunks],
                                     scorer.fingerprint)
        new_rows: Iterator[dict] = iter(())
        for key in keys:
            if key in found:
                yield found[key]
                continue
            row = next(new_rows, None)
            if row is None:   # the next chunk arrives: cache it, then go on
                chunk_keys, rows = next(scored)
                if scorer.cache:
                    scorer.cache.put_many(zip(chunk_keys, rows))
                new_rows = iter(rows)
                row = next(new_rows)
            yield row

    def _scored_chunks(self, chunks: list[list[tuple[Example, Summary]]], fingerprint: str
                       ) -> Iterator[tuple[list[str], list[dict]]]:
        """(keys, rows) per chunk, in the chunks' order."""
        if not chunks:
            return
        ds = self._dataset([{"i": n, "pairs": json.dumps(
            [[e.to_dict(), s.to_dict()] for e, s in chunk], ensure_ascii=False)}
            for n, chunk in enumerate(chunks)])
        ds.context.execution_options.preserve_order = True
        size = min(self.settings.scoring_concurrency, len(chunks))
        out = ds.map_batches(score_rows, fn_kwargs={"spec_json": self._spec_json},
                             batch_size=1, num_cpus=_SCORING_CPUS,
                             compute=self._ray().data.TaskPoolStrategy(size=size))
        for n, row in enumerate(out.iter_rows()):
            payload = _payload(row)
            if row["i"] != n:
                raise RuntimeError(f"Ray returned scoring chunk {row['i']} for {n}")
            if payload["fingerprint"] != fingerprint:
                raise SummcheckError(_differs("scoring setup (metric and check signatures)"))
            yield [score_key(fingerprint, e, s) for e, s in chunks[n]], payload["rows"]


def _payload(row: dict) -> dict:
    """A worker's JSON answer; a SummcheckError raised there stops the run here."""
    payload = json.loads(row["out"])
    if "fatal" in payload:
        raise SummcheckError(payload["fatal"])
    return payload


def _differs(what: str) -> str:
    return (f"a Ray worker's {what} differs from this machine's: install the same versions "
            f"of summcheck and its libraries (and the same model files) on every node")


# ---------------------------------------------------------------------- on the workers
class SummarizeActor:
    """A Ray Data actor that runs the summarizer in one child process it supervises (the
    model loads there, once). An example that kills that process (a segfault, the OOM
    killer) costs the child, not the actor: the batch is tried again (`retries` times) in
    a new child, then its examples one at a time, and an example that still kills it is
    recorded as failed. Ray Data's own restarts of a dying actor hung in Ray 2.60 (a
    restarting actor outlives its dataset, holding its CPUs), so they are kept for the
    rarer death of the actor itself (max_task_retries)."""

    def __init__(self, job: bytes, retries: int):
        self.job, self.retries = job, retries
        self.child: ProcessPoolExecutor | None = None

    def __call__(self, batch: dict) -> dict:
        return {"out": [self._run(text) for text in batch["batch"]]}

    def _run(self, text: str) -> str:
        for _ in range(self.retries + 1):
            try:
                return self._child().submit(_child_run, text).result()
            except BrokenProcessPool:   # the child died: the next try starts a new one
                self.child.shutdown(wait=False)
                self.child = None
        examples = json.loads(text)
        if len(examples) > 1:   # find the one that kills the process
            return _merge([self._run(json.dumps([ex])) for ex in examples])
        return json.dumps({"summaries": [Summary(
            examples[0]["id"], (), meta={"exception": True},
            error=_CRASHED.format(n=self.retries)).to_dict()]})

    def _child(self) -> ProcessPoolExecutor:
        if self.child is None:
            self.child = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_start, initargs=(self.job, os.getpid()))
        return self.child


def _merge(answers: list[str]) -> str:
    payloads = [json.loads(a) for a in answers]
    fatal = next((p for p in payloads if "fatal" in p), None)
    return json.dumps(fatal or {"summaries": [s for p in payloads for s in p["summaries"]]})


class _Generator:
    """In the child: the summarizer, built and loaded once; one JSON batch per call.
    Failures are isolated per example as locally (`_summarize_batch`); an error building
    or loading it (a missing model, other versions than the driver's) is fatal."""

    def __init__(self, build: Callable, fingerprint: str):
        self.summarizer, self.fatal = None, None
        try:
            self.summarizer = build()
            if self.summarizer.fingerprint() != fingerprint:
                self.fatal = _differs(f"summarizer {self.summarizer.label!r} (fingerprint)")
            elif hasattr(self.summarizer, "load"):
                self.summarizer.load()
        except Exception as err:  # noqa: BLE001 - as locally, it stops the run
            self.fatal = str(err) if isinstance(err, SummcheckError) else (
                f"cannot build the summarizer on a Ray worker: {type(err).__name__}: {err}")

    def run(self, text: str) -> str:
        if self.fatal:
            return json.dumps({"fatal": self.fatal})
        examples = [Example.from_dict(d) for d in json.loads(text)]
        try:
            summaries = _summarize_batch(self.summarizer, examples)
        except SummcheckError as err:
            return json.dumps({"fatal": str(err)})
        return json.dumps({"summaries": [s.to_dict() for s in summaries]}, ensure_ascii=False)


_GENERATOR: _Generator | None = None


def _child_start(job: bytes, parent: int) -> None:
    global _GENERATOR
    _die_with(parent)
    import ray.cloudpickle

    _GENERATOR = _Generator(*ray.cloudpickle.loads(job))


def _child_run(text: str) -> str:
    return _GENERATOR.run(text)


def _die_with(parent: int) -> None:
    """Have Linux SIGKILL this child when its actor dies (prctl PR_SET_PDEATHSIG), so a
    killed actor leaves no process behind holding a model."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


_SCORERS: dict = {}   # per worker process: spec JSON -> Scorer (metrics, checks, spaCy once)


def score_rows(batch: dict, *, spec_json: str) -> dict:
    """A stateless Ray Data map: score each row's JSON chunk of (example, summary) pairs.
    The scorer is built once per worker process; without a score cache or NER file (the
    driver caches rows; story NER is redone for the stories this worker sees)."""
    try:
        scorer = _scorer(spec_json)
    except SummcheckError as err:
        return {"i": batch["i"], "out": [json.dumps({"fatal": str(err)})] * len(batch["i"])}
    out = []
    for text in batch["pairs"]:
        pairs = [(Example.from_dict(e), Summary.from_dict(s)) for e, s in json.loads(text)]
        out.append(json.dumps({"fingerprint": scorer.fingerprint, "rows": scorer.score(pairs)},
                              ensure_ascii=False))
    return {"i": batch["i"], "out": out}


def _scorer(spec_json: str):
    if spec_json not in _SCORERS:
        from ..config import RunSpec
        from ..scoring import Scorer, build_checks, build_metrics

        spec = RunSpec.model_validate_json(spec_json)
        checks = build_checks(spec)
        for check in checks:   # NER on the task's own core, not forked onto the others'
            if hasattr(check, "processes"):
                check.processes = _SCORING_CPUS
        _SCORERS[spec_json] = Scorer(build_metrics(spec), checks)
    return _SCORERS[spec_json]
