"""summcheck.heap: after a process's first scored batch the objects then alive are frozen
out of full collections, once; garbage made later is still collected."""

import subprocess
import sys

SCRIPT = r"""
import gc, weakref
from summcheck import heap
from summcheck.consistency.numbers import NumberCheck
from summcheck.scoring import score_batch
from summcheck.types import Example, Summary

assert gc.get_freeze_count() == 0
batch = ([Example("a", "Sales rose 5% to $3 million.", ("Sales rose 5%.",))],
         [Summary("a", ("Sales rose 7%.",))])
first = score_batch(*batch, [], [NumberCheck()])
frozen = gc.get_freeze_count()
assert frozen > 0, "the first batch settles the heap"
second = score_batch(*batch, [], [NumberCheck()])
assert gc.get_freeze_count() == frozen, "once per process"
assert [v for v, _ in first] == [v for v, _ in second]

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a         # a cycle made after the freeze
gone = weakref.ref(a)
del a, b
gc.collect()
assert gone() is None, "later cycles are still collected"
print("ok")
"""


def test_first_batch_freezes_once_and_later_garbage_is_collected():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
