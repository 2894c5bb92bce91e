"""A check scored in a forked worker (`Check.start_many`, consistency.forked_batches)
gives what it gives in this process: same items or not, worker alive or dead."""

import os

import pytest

from summcheck.consistency.support import SupportCheck
from test_story_pool import PARENT, stories

needs_fork = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="fork pool: Linux")


def items(n: int, offset: int = 0) -> list:
    return [(story, [story.split(". ")[1] + ".", "The mayor denied it all."], None)
            for story in stories(n + offset)[offset:]]


def forked_check() -> SupportCheck:
    check = SupportCheck(method="lexical")
    check.processes = 2
    return check


@needs_fork
def test_worker_results_equal_this_process_and_caches_follow_the_batches():
    batch, other = items(5), items(4, offset=5)
    here = SupportCheck(method="lexical")
    here.processes = 1
    expected, expected_other = here.check_many(batch), here.check_many(other)
    check = forked_check()
    assert check.start_many(batch) is True
    assert check.check_many(batch) == expected
    assert check._forked._pool is not None
    assert check.start_many(other) is True          # the same worker, its caches warm
    assert check.check_many(other) == expected_other
    assert here.start_many(batch) is False, "one process: nothing to start"


@needs_fork
def test_a_batch_other_than_the_started_one_is_scored_here():
    batch, other = items(3), items(3, offset=3)
    check = forked_check()
    expected = SupportCheck(method="lexical").check_many(other)
    assert check.start_many(batch) is True
    assert check.check_many(other) == expected
    assert check._forked._pending is None


def _die(items):
    if os.getpid() != PARENT:
        os._exit(1)
    raise AssertionError("never scored in the test process through the worker path")


@needs_fork
def test_a_dead_worker_leaves_the_batch_to_this_process(monkeypatch):
    batch = items(3)
    monkeypatch.setattr(SupportCheck, "_score_in_worker", lambda self, items: _die(items))
    check = forked_check()                  # the worker inherits the patched scorer
    assert check.start_many(batch) is True
    assert check.check_many(batch) == SupportCheck(method="lexical").check_many(batch)
    assert check._forked.enabled is False and check._forked._pool is None
    assert check.start_many(batch) is False, "no worker after one died"


@needs_fork
def test_dropping_the_check_releases_its_worker_pool_at_once(collector_off):
    """No reference cycle through the worker: refcounting alone frees the pool's owner,
    whose finalizer shuts the pool down, without waiting for a garbage collection."""
    import weakref

    check = forked_check()
    assert check.start_many(items(2)) is True
    check.check_many(items(2))
    owner = weakref.ref(check._forked)
    with collector_off():
        del check
        assert owner() is None


@needs_fork
def test_an_error_in_the_worker_is_raised_here_as_it_would_be_inline(monkeypatch):
    from summcheck.errors import MissingExtraError

    def missing(self, items):
        raise MissingExtraError("tokenizers", "embedding")

    monkeypatch.setattr(SupportCheck, "_score_in_worker", missing)
    check = forked_check()
    assert check.start_many(items(2)) is True
    with pytest.raises(MissingExtraError, match="pip install") as raised:
        check.check_many(items(2))
    assert raised.value.extra == "embedding"
    assert check._forked.enabled, "an error of the check is no broken worker"
