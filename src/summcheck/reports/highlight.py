"""Escaped text with <mark> highlights at character offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Iterable


@dataclass
class Mark:
    """A highlight of text[start:end], which should read `expected`. `keys` link marks
    across texts (a bullet's mention and its story spans)."""

    start: int
    end: int
    css: str
    expected: str
    notes: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def fits(text: str, mark: Mark) -> bool:
    """The offsets are valid and point at the expected text (else the mark is left out)."""
    return 0 <= mark.start < mark.end <= len(text) and text[mark.start:mark.end] == mark.expected


def merge(marks: Iterable[Mark]) -> list[Mark]:
    """One mark per span: the first mark's style, the notes and keys of all of them."""
    merged: dict[tuple[int, int], Mark] = {}
    for mark in marks:
        key = (mark.start, mark.end)
        if key in merged:
            merged[key].notes += [n for n in mark.notes if n not in merged[key].notes]
            merged[key].keys += [k for k in mark.keys if k not in merged[key].keys]
        else:
            merged[key] = Mark(mark.start, mark.end, mark.css, mark.expected,
                               list(mark.notes), list(mark.keys))
    return list(merged.values())


def render(text: str, marks: Iterable[Mark]) -> str:
    """HTML of `text` with its fitting marks, those at one span merged (`merge`). Marks
    that overlap nest: one inside another is a <mark> inside its <mark>, and one crossing
    another's end is cut there and reopened, so every mark is drawn and keeps its notes
    and keys. The first of two overlapping marks used to win and the other was dropped: a
    weak-bullet finding over the whole bullet hid every number and entity mark in it."""
    chosen = merge(mark for mark in marks if fits(text, mark))
    starts: dict[int, list[Mark]] = {}
    for mark in chosen:
        starts.setdefault(mark.start, []).append(mark)
    cuts = sorted({0, len(text)} | {p for mark in chosen for p in (mark.start, mark.end)})
    outer_first = {id(mark): (mark.start, -mark.end, i) for i, mark in enumerate(chosen)}
    parts: list[str] = []
    active: list[Mark] = []      # the marks covering the piece, outermost first
    shown: list[Mark] = []       # the marks open in the HTML, outermost first
    for start, end in zip(cuts, cuts[1:]):
        active = sorted([m for m in active if m.end > start] + starts.get(start, []),
                        key=lambda m: outer_first[id(m)])
        same = 0
        while same < min(len(shown), len(active)) and shown[same] is active[same]:
            same += 1
        parts += ["</mark>"] * (len(shown) - same)
        parts += [_open_mark(mark) for mark in active[same:]]
        parts.append(escape(text[start:end]))
        shown = active
    parts += ["</mark>"] * len(shown)
    return "".join(parts)


def _open_mark(mark: Mark) -> str:
    attrs = f' class="{mark.css}" title="{escape(chr(10).join(mark.notes))}"'
    if mark.keys:   # focusable, so the keyboard outlines its story spans as hover does
        attrs += f' data-keys="{escape(" ".join(mark.keys))}" tabindex="0"'
    return f"<mark{attrs}>"
