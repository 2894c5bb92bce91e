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
    """HTML of `text` with its fitting, non-overlapping marks; on overlap the earlier wins."""
    chosen: list[Mark] = []
    for mark in marks:
        if fits(text, mark) and all(mark.end <= c.start or mark.start >= c.end for c in chosen):
            chosen.append(mark)
    parts, pos = [], 0
    for mark in sorted(chosen, key=lambda m: m.start):
        parts.append(escape(text[pos:mark.start]))
        parts.append(_mark_html(mark, text[mark.start:mark.end]))
        pos = mark.end
    parts.append(escape(text[pos:]))
    return "".join(parts)


def _mark_html(mark: Mark, inner: str) -> str:
    attrs = f' class="{mark.css}" title="{escape(chr(10).join(mark.notes))}"'
    if mark.keys:   # focusable, so the keyboard outlines its story spans as hover does
        attrs += f' data-keys="{escape(" ".join(mark.keys))}" tabindex="0"'
    return f"<mark{attrs}>{escape(inner)}</mark>"
