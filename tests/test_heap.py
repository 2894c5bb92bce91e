"""summcheck.heap: scoring raises the collector's young threshold once, keeps a higher
one the user set, and garbage cycles are still collected."""

import subprocess
import sys

SCRIPT = r"""
import gc, sys, weakref
from summcheck.consistency.numbers import NumberCheck
from summcheck.scoring import score_batch
from summcheck.types import Example, Summary

gc.set_threshold(int(sys.argv[1]), 10, 10)
batch = ([Example("a", "Sales rose 5% to $3 million.", ("Sales rose 5%.",))],
         [Summary("a", ("Sales rose 7%.",))])
first = score_batch(*batch, [], [NumberCheck()])
print(gc.get_threshold()[0])
gc.set_threshold(700, 10, 10)
second = score_batch(*batch, [], [NumberCheck()])
assert gc.get_threshold()[0] == 700, "once per process"
assert [v for v, _ in first] == [v for v, _ in second]

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a
gone = weakref.ref(a)
del a, b
gc.collect()
assert gone() is None, "cycles are still collected"
"""


def _young_after_first_batch(young: int) -> int:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(young)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_scoring_raises_the_young_threshold_once_and_keeps_a_higher_one():
    from summcheck.heap import _YOUNG

    assert _young_after_first_batch(700) == _YOUNG
    assert _young_after_first_batch(_YOUNG * 2) == _YOUNG * 2
    assert _young_after_first_batch(0) == 0, "collection turned off stays off"
