"""Generation and scoring on Ray (tasks and actors), on a local Ray instance or a cluster.

The driver (this process) keeps everything that touches disk: it looks up the generation
and score caches, sends only what they lack to Ray, and puts what comes back into the
caches and the run folder. So the cache, resume and the run folder are the local
backend's. Workers rebuild summarizers, metrics and checks from their specs; nothing
loaded is ever shipped.

The runner hands the backend one window of examples at a time (`window`, a multiple of
the local backend's window), so the driver holds a window, never the whole test set.
Within a window, each batch is formed exactly as the local backend forms it: the missing
examples of each local window, one per distinct input, longest first, cut at the same
batch size. Batched models see the same padding, so deterministic summarizers give the
same outputs on both backends. Batches travel as JSON (meta dicts differ from row to row).

Each summarizer gets a pool of Ray actors (`ray.concurrency`) that lives until the run
ends, so a model loads once per actor, not once per window. Ray reserves an idle pool's
CPUs and GPUs too: when the next step (another summarizer's pool, or scoring) would not
fit in the cluster beside the idle pools, the least recently used pools are dropped first
(and built again when their summarizer's turn comes). Scoring runs as Ray tasks of one
CPU, at most `ray.scoring_concurrency` at once, whose rows come back in order.

The cache bookkeeping is the local backend's own: `CachedSummaries` (generation) and
`CachedScores` (scoring) decide what is missing and put what comes back into the caches;
only where the missing work runs differs.

Failures: a summarizer that raises on an example records it as failed, as locally
(`summarize_batch`). The summarizer runs in a child process of its actor, so an example
that kills the process is retried in a new one and, if it keeps killing it, recorded as
failed (SummarizeActor); an actor or node that dies is restarted by Ray and its batch
retried (`max_retries`). A SummcheckError (a model that cannot load, a missing extra,
versions that differ from the driver's) comes back as data and stops the run with its
message. Scoring tasks have Ray's default retries; a scoring error stops the run, as
locally.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import logging
import math
import multiprocessing
import os
import signal
import socket
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from ..errors import ConfigError, MissingExtraError, SummcheckError
from ..log import silenced
from ..plugins import adopt
from ..score_cache import CachedScores
from ..summarizers.base import Summarizer
from ..summarizers.cache import CachedSummaries, summarize_batch, summarize_with_cache
from ..types import Example, Summary
from . import LOCAL_WINDOW

logger = logging.getLogger(__name__)
_SCORING_CPUS = 1   # what a scoring task reserves, and so the cores its checks may use
_DEFAULT_BATCH = 32  # the runner's batch size for a summarizer without one
_ROUNDS = 4         # a window gives every actor (and scoring task) this many batches
_QUEUED = 2         # batches sent to an actor at a time (one runs, one waits)
_CRASHED = "the summarizer's process died on this example on every retry ({n})"


def _import_ray():
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "ray") from None
    return ray


def ray_window(spec, base: int) -> int:
    """Examples per window on Ray: the local window (`base`), or the smallest multiple of
    it that gives each actor pool and the scoring tasks `_ROUNDS` batches each, so a large
    cluster is not left idle by a small window. It depends on the config, not on the size
    of the test set, so the driver's memory stays bounded."""
    s = spec.ray
    pools = [_pool_settings(s, x.label, getattr(x, "batch_size", None) or _DEFAULT_BATCH)
             for x in spec.summarizers]
    wanted = max(*(p["concurrency"] * p["batch_size"] for p in pools),
                 s.scoring_concurrency * s.scoring_batch_size / len(pools)) * _ROUNDS
    return base * max(1, math.ceil(wanted / base))


def _pool_settings(settings, label: str, batch_size: int) -> dict:
    """Actor pool settings: the `ray:` defaults, then this summarizer's overrides."""
    pool = {"concurrency": settings.concurrency,
            "batch_size": settings.batch_size or batch_size,
            "num_cpus": settings.num_cpus, "num_gpus": settings.num_gpus}
    override = settings.summarizers.get(label)
    if override:
        pool.update(override.model_dump(exclude_none=True))
    return pool


@dataclass
class _Pool:
    """One summarizer's actors and what each reserves."""

    fingerprint: str
    num_cpus: float
    num_gpus: float
    actors: list = field(default_factory=list)

    def held(self) -> tuple[float, float]:
        return len(self.actors) * self.num_cpus, len(self.actors) * self.num_gpus


class RayBackend:
    name = "ray"

    def __init__(self, spec, *, address: str | None = None, local_window: int = LOCAL_WINDOW):
        """`local_window`: the local backend's window (the runner's); windows on Ray are
        multiples of it."""
        if importlib.util.find_spec("ray") is None:
            raise MissingExtraError("ray", "ray")
        self.base_window = local_window
        self.window = ray_window(spec, self.base_window)
        self.settings, self.address = spec.ray, address
        self._spec_json = spec.model_dump_json()
        self._started = False
        self._pools: dict[str, _Pool] = {}   # by summarizer label, least recently used first
        self.actors_started = 0              # over the run (a pool dropped and rebuilt counts again)
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
            if self.address:
                _use_token_if_found()
                _check_reachable(self.address)
            try:
                ray.init(address=self.address or "local", include_dashboard=False,
                         logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError) as err:
                if not self.address:
                    raise
                raise SummcheckError(_cannot_join(self.address, err)) from None
            self._started = True
        return ray

    def close(self) -> None:
        for label in list(self._pools):
            self._drop(label)
        if self._started:
            _import_ray().shutdown()
            self._started = False

    def _drop(self, label: str) -> None:
        pool = self._pools.pop(label)
        ray = _import_ray()
        # Each actor stops its child process first. Killed with its child running, an
        # actor's multiprocessing resource tracker dies first and the actor's exit prints
        # a KeyError traceback per semaphore on the driver's console.
        closing = [actor.close.remote() for actor in pool.actors]
        with contextlib.suppress(Exception):
            ray.wait(closing, num_returns=len(closing), timeout=30)
        for actor in pool.actors:
            with contextlib.suppress(Exception):   # already dead: nothing to release
                ray.kill(actor, no_restart=True)

    def _make_room(self, cpus: float, gpus: float, *, keep: str | None = None) -> None:
        """Drop idle pools, least recently used first, until `cpus` and `gpus` more fit in
        the cluster beside the pools left (a pool holds its resources while idle)."""
        total = self._ray().cluster_resources()
        for label in [x for x in self._pools if x != keep]:
            held = [sum(p.held()[i] for p in self._pools.values()) for i in (0, 1)]
            if held[0] + cpus <= total.get("CPU", 0) and held[1] + gpus <= total.get("GPU", 0):
                return
            self._drop(label)

    # ------------------------------------------------------------------ generation
    def generate(self, summarizer, examples: Sequence[Example], cache, *, build: Callable,
                 batch_size: int, on_progress: Callable[[int], None]):
        summarizer = adopt(summarizer, Summarizer)
        if not summarizer.caches_generations:
            # summaries read from a file of the driver's (precomputed), not generated:
            # read here, as the local backend does
            return summarize_with_cache(summarizer, examples, cache, batch_size=batch_size,
                                        on_progress=on_progress)
        step = CachedSummaries(summarizer, examples, cache, on_progress)
        pool = _pool_settings(self.settings, summarizer.label, batch_size)
        batches = self._batches(examples, step.todo, pool["batch_size"])
        for summaries in self._summarize(summarizer.label, batches, build,
                                         summarizer.fingerprint(), pool):
            step.add(summaries)
        return step.result()

    def _batches(self, examples: Sequence[Example], todo: list[Example], size: int
                 ) -> list[list[Example]]:
        """The local backend's batches: it generates a local window at a time, each
        window's distinct missing inputs longest first. `todo` is already in that order
        over the whole window (a stable sort), and each input first appears in the
        earliest local window, so its examples split by local window keep their order."""
        part = {ex.id: i // self.base_window for i, ex in enumerate(examples)}
        groups: dict[int, list[Example]] = {}
        for ex in todo:
            groups.setdefault(part[ex.id], []).append(ex)
        return [group[i:i + size] for _, group in sorted(groups.items())
                for i in range(0, len(group), size)]

    def _summarize(self, label: str, batches: list[list[Example]], build: Callable,
                   fingerprint: str, pool: dict) -> Iterator[list[Summary]]:
        """Summaries of each batch, as batches finish (in any order), on the summarizer's
        actor pool; up to `_QUEUED` batches wait at each actor."""
        if not batches:
            return
        ray = self._ray()
        actors = self._actors(label, build, fingerprint, pool, wanted=len(batches))
        queue = deque(json.dumps([ex.to_dict() for ex in batch], ensure_ascii=False)
                      for batch in batches)
        running: dict = {}   # object ref -> actor

        def send(actor) -> None:
            running[actor.summarize.remote(queue.popleft())] = actor

        for _ in range(_QUEUED):
            for actor in actors:
                if queue:
                    send(actor)
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor = running.pop(ref)
            if queue:
                send(actor)
            try:
                answer = ray.get(ref)
            except ray.exceptions.RayActorError as err:
                self._drop(label)
                raise SummcheckError(
                    f"summarizer {label!r}: its Ray actor died {self.settings.max_retries + 1} "
                    f"times or could not start: {_first_lines(err)}") from None
            yield [Summary.from_dict(d) for d in _payload(answer)["summaries"]]

    def _actors(self, label: str, build: Callable, fingerprint: str, pool: dict, *,
                wanted: int) -> list:
        """The summarizer's actors, `min(concurrency, wanted)` of them at least, started
        now if need be (after making room for them)."""
        if label in self._pools and self._pools[label].fingerprint != fingerprint:
            self._drop(label)
        current = self._pools.pop(label, None) or _Pool(fingerprint, pool["num_cpus"],
                                                        pool["num_gpus"])
        self._pools[label] = current   # now the most recently used
        missing = min(pool["concurrency"], wanted) - len(current.actors)
        if missing > 0:
            self._check_fits(label, pool)
            missing = min(missing, self._fitting(label, pool) - len(current.actors))
            self._make_room(missing * pool["num_cpus"], missing * pool["num_gpus"], keep=label)
            ray = self._ray()
            retries = self.settings.max_retries
            job = ray.cloudpickle.dumps((build, fingerprint))  # by value where asked
            remote = ray.remote(SummarizeActor).options(
                num_cpus=pool["num_cpus"], num_gpus=pool["num_gpus"],
                max_restarts=retries, max_task_retries=retries)
            current.actors += [remote.remote(job, retries) for _ in range(missing)]
            self.actors_started += missing
        return current.actors

    def _fitting(self, label: str, pool: dict) -> int:
        """How many of the pool's actors the cluster holds at once, with every other pool
        dropped: an actor beyond them never starts, and the batches queued at it waited
        forever (`concurrency: 3` on 2 CPUs hung the run)."""
        total = self._ray().cluster_resources()
        fit = min(math.floor(total.get(key, 0) / pool[unit] + 1e-9)
                  for unit, key in (("num_cpus", "CPU"), ("num_gpus", "GPU")) if pool[unit] > 0)
        if fit < pool["concurrency"]:
            logger.warning("summarizer %r: ray concurrency %d, but %d actor(s) of num_cpus=%g, "
                           "num_gpus=%g fit in the Ray cluster (%g CPUs, %g GPUs): using %d",
                           label, pool["concurrency"], fit, pool["num_cpus"], pool["num_gpus"],
                           total.get("CPU", 0), total.get("GPU", 0), fit)
        return fit

    def _check_fits(self, label: str, pool: dict) -> None:
        """Stop at once when not even one actor fits in the cluster (it would wait
        forever): no GPUs while the pool asks for them, or too few CPUs."""
        total = self._ray().cluster_resources()
        for unit, key in (("num_cpus", "CPU"), ("num_gpus", "GPU")):
            if pool[unit] > total.get(key, 0):
                raise SummcheckError(
                    f"summarizer {label!r}: an actor asks for {unit}={pool[unit]}, and the "
                    f"Ray cluster has {total.get(key, 0):g} {key}s in all: lower "
                    f"ray.{unit} (ray.summarizers.{label}.{unit}) or add nodes")

    # ------------------------------------------------------------------ scoring
    def scores_ahead(self, scorer) -> bool:
        return False   # the chunks are sent as the rows are read

    def score(self, scorer, pairs: Sequence[tuple[Example, Summary]]) -> Iterator[dict]:
        """Cached rows from the driver's score cache, the others scored on Ray; in order."""
        step = CachedScores(scorer.fingerprint, scorer.cache, pairs)
        size = self.settings.scoring_batch_size
        chunks = [step.todo[i:i + size] for i in range(0, len(step.todo), size)]
        yield from step.in_order(self._scored_chunks(chunks, scorer.fingerprint))

    def _scored_chunks(self, chunks: list[list[tuple[Example, Summary]]], fingerprint: str
                       ) -> Iterator[list[dict]]:
        """The rows of each chunk, in the chunks' order. At most `scoring_concurrency`
        tasks run at once, and at most twice that many chunks are out (running, or done
        and waiting for an earlier one), so a slow chunk holds no more than that."""
        if not chunks:
            return
        ray = self._ray()
        limit = min(self.settings.scoring_concurrency, len(chunks))
        self._make_room(limit * _SCORING_CPUS, 0)
        task = ray.remote(score_chunk).options(num_cpus=_SCORING_CPUS)
        running: dict = {}   # object ref -> chunk number
        done: dict[int, str] = {}
        sent = 0
        for n in range(len(chunks)):
            while sent < len(chunks) and len(running) < limit and sent - n < 2 * limit:
                text = json.dumps([[e.to_dict(), s.to_dict()] for e, s in chunks[sent]],
                                  ensure_ascii=False)
                running[task.remote(text, self._spec_json)] = sent
                sent += 1
            while n not in done:
                (ref,), _ = ray.wait(list(running), num_returns=1)
                done[running.pop(ref)] = ray.get(ref)
            payload = _payload(done.pop(n))
            if payload["fingerprint"] != fingerprint:
                raise SummcheckError(_differs("scoring setup (metric and check signatures)"))
            yield payload["rows"]


def _token_found() -> bool:
    """Whether this machine has a Ray token where Ray looks for one."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.join(
        os.path.expanduser("~"), ".ray", "auth_token")
    return os.path.isfile(path)


_TOKEN_MODE_SET_HERE: list[bool] = []   # non-empty once `_use_token_if_found` set the mode


def _use_token_if_found() -> None:
    """Join a cluster with its token when RAY_AUTH_MODE is not set and a token is found,
    as `ray start` does for a node. Ray 2.60 starts clusters with token authentication,
    and a driver without RAY_AUTH_MODE=token is refused by one (after about 20 s of
    retries); a cluster without authentication accepts a driver that sends a token."""
    if os.environ.get("RAY_AUTH_MODE") is not None or not _token_found():
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    _TOKEN_MODE_SET_HERE.append(True)
    with contextlib.suppress(ImportError, AttributeError):   # Ray reads the mode again
        from ray._raylet import Config

        Config.initialize("")


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """A host:port address must answer a TCP connection before Ray is asked to join it:
    ray.init waits for an unreachable cluster's control store without end (it printed
    "Failed to connect to GCS" for over ten minutes and never raised). "auto" and ray://
    client addresses are left to Ray."""
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as err:
        raise SummcheckError(_cannot_join(address, ConnectionError(
            f"nothing answered at {address} within {timeout:g} s ({err})"))) from None


def _cannot_join(address: str, err: Exception) -> str:
    mode = os.environ.get("RAY_AUTH_MODE", "unset")
    mode += ", set by summcheck: a token was found" if _TOKEN_MODE_SET_HERE else ""
    return (f"cannot join the Ray cluster at {address}: {_first_lines(err, 1)}\n"
            f"Check the address (`ray status` on the head prints the cluster). Ray 2.60 "
            f"clusters use token authentication: this machine needs the cluster's token in "
            f"~/.ray/auth_token (copy it from the head node; or RAY_AUTH_TOKEN / "
            f"RAY_AUTH_TOKEN_PATH), and RAY_AUTH_MODE must be token or unset "
            f"(now: {mode}).")


def _payload(answer: str) -> dict:
    """A worker's JSON answer; a SummcheckError raised there stops the run here."""
    payload = json.loads(answer)
    if "fatal" in payload:
        raise SummcheckError(payload["fatal"])
    return payload


def _first_lines(err: Exception, n: int = 6) -> str:
    return "\n".join(str(err).strip().splitlines()[:n])


def _differs(what: str) -> str:
    return (f"a Ray worker's {what} differs from this machine's: install the same versions "
            f"of summcheck and its libraries (and the same model files) on every node")


# ---------------------------------------------------------------------- on the workers
class SummarizeActor:
    """A Ray actor (made one by `ray.remote` on the driver) that runs the summarizer in
    one child process it supervises (the model loads there, once per actor). An example
    that kills that process (a segfault, the OOM killer) costs the child, not the actor:
    the batch is tried again (`retries` times) in a new child, then its examples one at a
    time, and an example that still kills it is recorded as failed. The death of the actor
    itself (its node lost) is Ray's to handle: it restarts the actor and resends the batch
    (max_restarts, max_task_retries)."""

    def __init__(self, job: bytes, retries: int):
        self.job, self.retries = job, retries
        self.child: ProcessPoolExecutor | None = None

    def summarize(self, text: str) -> str:
        """One JSON batch of examples in, its JSON answer out."""
        for _ in range(self.retries + 1):
            try:
                return self._child().submit(_child_run, text).result()
            except BrokenProcessPool:   # the child died: the next try starts a new one
                self.child.shutdown(wait=False)
                self.child = None
        examples = json.loads(text)
        if len(examples) > 1:   # find the one that kills the process
            return _merge([self.summarize(json.dumps([ex])) for ex in examples])
        return json.dumps({"summaries": [Summary(
            examples[0]["id"], (), meta={"exception": True},
            error=_CRASHED.format(n=self.retries)).to_dict()]})

    def close(self) -> None:
        """Stop the child process and release its queues' semaphores (their finalizers
        unregister them from the resource tracker while it still runs)."""
        if self.child is not None:
            self.child.shutdown(wait=True)
            self.child = None
            gc.collect()

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
    Failures are isolated per example as locally (`summarize_batch`); an error building
    or loading it (a missing model, other versions than the driver's) is fatal."""

    def __init__(self, build: Callable, fingerprint: str):
        self.summarizer, self.fatal = None, None
        try:
            self.summarizer = adopt(build(), Summarizer)
            if self.summarizer.fingerprint() != fingerprint:
                self.fatal = _differs(f"summarizer {self.summarizer.label!r} (fingerprint)")
            else:
                self.summarizer.load()
        except Exception as err:  # noqa: BLE001 - as locally, it stops the run
            self.fatal = str(err) if isinstance(err, SummcheckError) else (
                f"cannot build the summarizer on a Ray worker: {type(err).__name__}: {err}")

    def run(self, text: str) -> str:
        if self.fatal:
            return json.dumps({"fatal": self.fatal})
        examples = [Example.from_dict(d) for d in json.loads(text)]
        try:
            summaries = summarize_batch(self.summarizer, examples)
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


def score_chunk(text: str, spec_json: str) -> str:
    """A Ray task: score one JSON chunk of (example, summary) pairs. The scorer is built
    once per worker process; without a score cache or NER file (the driver caches rows;
    story NER is redone for the stories this worker sees)."""
    try:
        scorer = _scorer(spec_json)
    except SummcheckError as err:
        return json.dumps({"fatal": str(err)})
    pairs = [(Example.from_dict(e), Summary.from_dict(s)) for e, s in json.loads(text)]
    return json.dumps({"fingerprint": scorer.fingerprint, "rows": scorer.score_new(pairs)},
                      ensure_ascii=False)


def _scorer(spec_json: str):
    if spec_json not in _SCORERS:
        from ..config import RunSpec
        from ..scoring import Scorer, build_checks, build_metrics

        spec = RunSpec.model_validate_json(spec_json)
        # the driver has logged the warnings (a skipped optional metric); if this node
        # skips other metrics than the driver, the fingerprints differ and the run stops
        with silenced():
            metrics, checks = build_metrics(spec), build_checks(spec)
        scorer = Scorer(metrics, checks)
        for check in scorer.checks:   # NER on the task's own core, not forked onto others'
            check.processes = _SCORING_CPUS
        _SCORERS[spec_json] = scorer
    return _SCORERS[spec_json]
