"""Story indexes built on every core (consistency.story_pool) equal those built in this
process, and so do the support check's scores; a dying worker costs nothing but time."""

import json
import os
from pathlib import Path

import pytest

from summcheck.consistency import support
from summcheck.consistency.story_pool import MIN_STORIES, StoryPool
from summcheck.consistency.support import SupportCheck, build_story_index

SAMPLES = Path(support.__file__).parents[1] / "data" / "samples" / "stories.jsonl"
PARENT = os.getpid()
needs_fork = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="fork pool: Linux")


def stories(n: int) -> list[str]:
    """`n` different stories: the bundled ones, then the same with a sentence added."""
    base = [json.loads(line)["story"] for line in SAMPLES.read_text("utf-8").splitlines()]
    return [f"{base[i % len(base)]} Story {i}: Mr. Smith paid $5 on Jan. 3."
            for i in range(n)]


def build_or_die(source: str):
    """Kills the worker process it runs in (never this one)."""
    if os.getpid() != PARENT:
        os._exit(1)
    return build_story_index(source)


@needs_fork
def test_the_pool_builds_what_this_process_builds():
    sources = stories(MIN_STORIES + 7)
    pool = StoryPool(build_story_index, processes=2)
    assert pool(sources) == [build_story_index(s) for s in sources]
    assert pool._pool is not None            # the workers did take a share


def test_few_stories_never_start_workers():
    pool = StoryPool(build_story_index, processes=2)
    sources = stories(MIN_STORIES - 1)
    assert pool(sources) == [build_story_index(s) for s in sources]
    assert pool._pool is None


@needs_fork
def test_a_dying_worker_leaves_the_indexes_to_this_process():
    sources = stories(MIN_STORIES + 3)
    pool = StoryPool(build_or_die, processes=2)
    assert pool(sources) == [build_story_index(s) for s in sources]
    assert pool.processes == 1 and pool._pool is None


@needs_fork
@pytest.mark.parametrize("method", ["lexical", "aligned"])
def test_support_scores_equal_with_and_without_the_pool(method):
    if method == "aligned" and not support.embedding_available():
        pytest.skip("the MiniLM weights are not installed")
    sources = stories(MIN_STORIES + 5)
    items = [(s, [s.split(". ")[0] + ".", "Mr. Smith paid $5 for a car."], None)
             for s in sources]
    results = {}
    for processes in (1, 2):
        support.story_index.cache_clear()
        check = SupportCheck(method, flag=True)
        check._story_pool.processes = processes
        results[processes] = [(r.scores, r.findings) for r in check.check_many(items)]
    assert results[1] == results[2]
    assert support._PREBUILT == {}           # nothing left behind for a later batch
