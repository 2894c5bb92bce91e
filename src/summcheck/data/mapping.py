"""The field mapping (`fields: {id, story, highlights, title}`): what a data row must hold
and how it becomes an `Example`. Shared by every reader of tabular data (summcheck's own
local-file reader and `datasets`), so both give the same examples and the same messages."""

from __future__ import annotations

import difflib
import math
from typing import Any

from ..config import HFDataset
from ..errors import DataError
from ..text import clean_bullet, worded, written_list
from ..types import Example


def row_problem(spec: HFDataset, row: dict[str, Any]) -> str | None:
    """What is wrong with one row (a JSON object, a CSV or parquet row) and the fix; None
    if nothing is. Missing highlights and title are allowed: the run warns about them."""
    f = spec.fields
    if f.story not in row:
        close = difflib.get_close_matches(f.story, list(row), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return (f"no key {f.story!r} (fields.story); its keys are {', '.join(row) or 'none'}."
                f"{hint} Add the story as {f.story!r}, or set fields.story to the key that "
                "holds it.")
    if not isinstance(row[f.story], str):
        return (f"{f.story!r} (fields.story) is {kind(row[f.story])}, not text. Give the "
                f"story as a string, or set fields.story to the key that holds it.")
    if f.id is not None:
        value = row.get(f.id)
        if no_id(value):
            return (f"{f.id!r} (fields.id) is missing or empty. Give every row an id, or "
                    "set `fields.id: null` to use row numbers.")
        if isinstance(value, (bool, list, dict)):
            return f"{f.id!r} (fields.id) is {kind(value)}. Make the id a string or a number."
    value = row.get(f.highlights) if f.highlights else None
    if value is not None and not isinstance(value, str) and not (
            isinstance(value, list) and all(isinstance(v, (str, type(None))) for v in value)):
        return (f"{f.highlights!r} (fields.highlights) is {kind(value)}. Give the reference "
                "highlights as a string or a list of strings (or null).")
    if (problem := escaped_separator(spec, value)) is not None:
        return problem
    if written_list(value):   # pandas' list column in a CSV: one reference bullet
        return (f"{f.highlights!r} (fields.highlights) is a list written as text "
                f"({value[:60]!r}{'...' if len(value) > 60 else ''}): it would be one "
                "reference bullet holding the brackets and quotes (rougeLsum then equals "
                "rougeL). Write the highlights one per line in the text, or as a JSON list "
                "in a .jsonl file.")
    title = row.get(f.title) if f.title else None
    if title is not None and not isinstance(title, str):   # it became its Python repr
        return (f"{f.title!r} (fields.title) is {kind(title)}, not text. Give the title as "
                "a string (or null), or set fields.title: null.")
    return None


# A separator written as an escape in single quotes, which YAML keeps as it is ('\n' is a
# backslash and an n), and the character the writer meant.
_ESCAPES = {"\\n": "\n", "\\r\\n": "\n", "\\t": "\t"}


def escaped_separator(spec: HFDataset, value: Any) -> str | None:
    """The problem when `highlights_sep` is an escape written in single quotes ('\\n')
    and a highlights text holds line breaks (tabs) but not that escape: split on the
    backslash and the letter, such highlights were one reference bullet, silently
    (rougeLsum then equals rougeL). Data that does hold the escape is read as asked. And
    the other way round: a line break (tab) separator, and highlights that hold only the
    escape, as some exports write one."""
    sep = spec.highlights_sep
    if isinstance(value, str) and sep in ("\n", "\t") and sep not in value \
            and (escaped := "\\n" if sep == "\n" else "\\t") in value:
        return (f"the highlights hold {escaped!r} (a backslash and a letter, as some exports "
                f"write a {'line break' if sep == chr(10) else 'tab'}) and no "
                f"{'line break' if sep == chr(10) else 'tab'}, which dataset.highlights_sep "
                "is: they would be one reference bullet. To split on the two characters, "
                f"write highlights_sep: '{escaped}' (single quotes); if each row's "
                "highlights are one bullet, highlights_sep: null.")
    meant = _ESCAPES.get(sep or "")
    if not isinstance(value, str) or meant is None or meant not in value or sep in value:
        return None
    return (f"the highlights hold {'line breaks' if meant == chr(10) else 'tabs'} and no "
            f"{sep!r}, which dataset.highlights_sep is: a backslash and a letter, as YAML "
            f"reads '{sep}' in single quotes, so they would be one reference bullet. For a "
            f"{'line break' if meant == chr(10) else 'tab'}, write it in double quotes: "
            f'highlights_sep: "{sep}".')


def kind(value: Any) -> str:
    """`value`'s JSON kind, as in "the line is a number"."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list" if not value or not all(isinstance(v, str) for v in value) \
            else "a list of strings"
    return "an object" if isinstance(value, dict) else "a string"


def check_columns(spec: HFDataset, columns: list[str], *, where: str) -> None:
    """Every mapped field names a column (key) the data has, once; else the closest one."""
    f = spec.fields
    mapped = {"id": f.id, "story": f.story, "highlights": f.highlights, "title": f.title}
    for key, column in mapped.items():
        if column is not None and (twice := repeated_column(columns, column)):
            raise DataError(f"{where} fields.{key}: {twice}")
        if column is not None and column not in columns:
            close = difflib.get_close_matches(column, columns, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            null_ok = " (or null)" if key in ("id", "highlights", "title") else ""
            raise DataError(
                f"{where} fields.{key}: column {column!r} does not exist.{hint} "
                f"Columns: {', '.join(columns)}. Set fields.{key} to one of them{null_ok}."
            )


def repeated_column(columns: list[str], name: str) -> str | None:
    """The problem when `name` heads more than one column (a CSV header, a parquet
    schema): a reader would silently take one of them, e.g. the last."""
    places = [str(i) for i, column in enumerate(columns, start=1) if column == name]
    if len(places) < 2:
        return None
    times = "twice" if len(places) == 2 else f"{len(places)} times"
    return (f"column {name!r} appears {times} (columns {', '.join(places[:-1])} and "
            f"{places[-1]}), so which one to read is unclear. Rename one (or remove it), "
            f"so that only one column is called {name!r}.")


def mapped_columns(spec: HFDataset) -> list[str]:
    """The columns the mapping reads, each once (a reader may read only these)."""
    f = spec.fields
    return list(dict.fromkeys(c for c in (f.id, f.story, f.highlights, f.title) if c))


def to_example(spec: HFDataset, row: dict[str, Any], index: int) -> Example:
    """The Example for row `index` (0-based over the whole split, before sampling). A key
    missing from the row reads as null, as it does in a `datasets` table."""
    f = spec.fields
    story = row.get(f.story)
    if not isinstance(story, str):
        raise DataError(
            f"{where(spec)}: row {index}: fields.story column {f.story!r} holds "
            f"{type(story).__name__}, not text. Map fields.story to the article text column."
        )
    if (problem := escaped_separator(spec, row.get(f.highlights) if f.highlights else None)):
        raise DataError(f"{where(spec)}: row {index}: {problem}")
    return Example(
        id=_row_id(spec, row, index),
        story=story,
        reference_bullets=bullets(row.get(f.highlights), spec.highlights_sep)
        if f.highlights else (),
        title=str(row.get(f.title) or "") if f.title else "",
        meta={
            "dataset": spec.path, "config": spec.name, "split": spec.split,
            "revision": spec.revision, "row": index,
        },
    )


def _row_id(spec: HFDataset, row: dict[str, Any], index: int) -> str:
    if spec.fields.id is None:
        return str(index)
    value = row.get(spec.fields.id)
    if no_id(value):
        raise DataError(
            f"{where(spec)}: row {index}: fields.id column {spec.fields.id!r} is empty. "
            "Fill in the ids, or set `fields.id: null` to use row numbers."
        )
    return str(value)


def no_id(value: Any) -> bool:
    """True for null, a blank string, and NaN: pandas' null in a float column (Parquet,
    a JSON NaN), which became the id "nan"."""
    return value is None or (isinstance(value, float) and math.isnan(value)) \
        or str(value).strip() == ""


def bullets(value: Any, sep: str | None) -> tuple[str, ...]:
    """Reference bullets from a list column, a joined string (split on `sep`), or one string;
    a bullet without a letter or digit ("...", "-") is none (`text.worded`)."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        parts = [v if type(v) is str else str(v) for v in value if v is not None]
    elif sep is None:
        parts = [str(value)]
    else:
        parts = str(value).split(sep)
    return tuple(worded(map(clean_bullet, parts)))


def where(spec: HFDataset) -> str:
    """The dataset as a message names it: path, config name, data_files."""
    out = f"dataset {spec.path}" + (f" ({spec.name})" if spec.name else "")
    return out + (f" with data_files {spec.data_files}" if spec.data_files else "")
