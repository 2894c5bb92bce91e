"""Where the library's warnings go: the standard `logging` module.

Each module warns on its own logger (`logging.getLogger(__name__)`, all under "summcheck",
which has only a NullHandler), so a program that calls summcheck silences or captures them
with ordinary logging configuration, e.g.
`logging.getLogger("summcheck").setLevel(logging.ERROR)`. The CLI prints them on stderr as
"warning: <message>" (`print_warnings`). Warnings a run also records (results.json's
`warnings`) are kept in that list as well; logging is only how they are shown.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

ROOT = "summcheck"


class _StderrHandler(logging.Handler):
    """Writes a record as "<level>: <message>" (e.g. "warning: ...") to sys.stderr as it is
    when the record comes: a test's CLI runner swaps sys.stderr for each invocation."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(f"{record.levelname.lower()}: {record.getMessage()}\n")
            sys.stderr.flush()
        except Exception:   # logging's rule: a failing handler must not stop the program
            self.handleError(record)


def print_warnings() -> Callable[[], None]:
    """The CLI's setting: summcheck's warnings (and anything worse) printed on stderr, there
    only (they do not also reach handlers on the root logger, so nothing prints twice).
    Returns the function that undoes it, for the end of the command."""
    logger = logging.getLogger(ROOT)
    handler = _StderrHandler(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False

    def undo() -> None:
        logger.removeHandler(handler)
        logger.propagate = propagate

    return undo


@contextmanager
def silenced(name: str = ROOT) -> Iterator[None]:
    """No records from logger `name` or its children inside the block: for a Ray worker
    that rebuilds what the driver already built and warned about."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
