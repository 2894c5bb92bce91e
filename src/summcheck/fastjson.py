"""`loads`: what `json.loads` returns or raises, several times faster on a run's rows.

A run parses every data row three times (index, survey, windows) and the reports parse
every row it wrote: the standard library's decoder was about a sixth of a ROUGE-only
run (benchmarks/results/overhead.md). msgspec's decoder parses what it can; the standard
library takes whatever msgspec refuses, so results and errors stay json's own: NaN and
Infinity (summcheck's own files may hold them), numbers beyond float range, lone
surrogates (escaped or not), a byte-order mark, malformed text.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_decode = msgspec.json.Decoder().decode


def loads(text: str | bytes) -> Any:
    try:
        return _decode(text)
    except ValueError:   # msgspec's DecodeError; UnicodeEncodeError for a lone surrogate
        return json.loads(text)
