"""The sample set shipped inside the package (written by the summcheck team)."""

from __future__ import annotations

import json
from importlib import resources

from ..types import Example
from . import sample_indices

SAMPLES_FILE = "stories.jsonl"


def load_bundled(spec) -> list[Example]:
    text = resources.files("summcheck.data").joinpath("samples", SAMPLES_FILE).read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Example(
            id=row["id"],
            title=row.get("title", ""),
            story=row["story"],
            reference_bullets=tuple(row["highlights"]),
            meta={k: row[k] for k in ("topic", "date") if k in row},
        )
        for row in (rows[i] for i in sample_indices(len(rows), spec.sample, spec.seed))
    ]
