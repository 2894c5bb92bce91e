"""What every consistency check returns: scores plus one finding per unsupported mention.

A check is a controller with `name`, `signature()` and
`check(*, source, summary, reference=None) -> CheckResult`, where `summary` is the list of
bullets (findings point into them by index and character offsets) and `source` the story.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence


@dataclass(frozen=True)
class Span:
    """A mention: its text and [start, end) character offsets in the bullet or story."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    """One unsupported number or entity in a summary bullet."""

    check: str                  # "numbers" or "entities"
    kind: str                   # number kind (money, percent, date, ...) or entity label
    bullet_index: int
    span: Span                  # where it is in the bullet
    value: str = ""             # normalized value, e.g. "12000" or "kim jong il"
    candidates: tuple[Span, ...] = ()   # closest story mentions ("did you mean ...?")
    reason: str = ""            # e.g. "no story number with this value", "qualifier contradicts"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Support:
    """A summary mention that the story supports, with the supporting story span."""

    check: str
    kind: str
    bullet_index: int
    span: Span
    source_span: Span

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckResult:
    scores: dict[str, float]    # precision/recall-style values in [0, 1] plus counts
    findings: tuple[Finding, ...] = ()
    supported: tuple[Support, ...] = field(default=())


class Check(Protocol):
    name: str

    def signature(self) -> str: ...

    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult: ...
