"""JSON for the rows a run reads and writes by the hundred thousand, with msgspec.

`loads` returns or raises what `json.loads` does, several times faster, with one change:
a lone surrogate (an escape such as "\\ud800" that is half of a UTF-16 pair, often a
string cut inside an emoji) becomes U+FFFD, the replacement character. It is not a
character; no UTF-8 file can hold it, so a run that read one crashed when it wrote the
text to its run folder. Replaced, every text read here can be written back.

A run parses every data row twice (the index pass, which the survey shares, and the
windows) and the reports every row it wrote; the standard library's decoder was about a
sixth of a ROUGE-only run (benchmarks/results/overhead.md).
msgspec's decoder parses what it can; the standard library takes whatever msgspec
refuses, so results and errors stay json's: NaN and Infinity (files of older runs hold
them), numbers beyond float range, lone surrogates (escaped or not; then replaced), a
byte-order mark, malformed text.

`dumps` writes one compact line (no spaces after separators), UTF-8 kept as is. A float
that is not a finite number (NaN, infinity) is written as null, valid JSON where json's
NaN is not: every reader of a run folder takes null and NaN alike, as a value that is
missing. numpy scalars are written as the Python numbers they hold.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import msgspec

_decode = msgspec.json.Decoder().decode

# The read buffer for JSON Lines files read line by line: with the default 8 KB, a data
# file of 4 KB rows cost a read call every two rows, 2-4 us a row here, more than
# finding the lines (benchmarks/line_buffers.py; results in benchmarks/results/overhead.md).
LINE_BUFFER = 1 << 18


def loads(text: str | bytes) -> Any:
    try:
        return _decode(text)
    except ValueError:   # msgspec's DecodeError; UnicodeEncodeError for a lone surrogate
        return _characters(json.loads(text))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")   # a pair is one code point once parsed


def _characters(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) made U+FFFD. Only
    json's results need it: msgspec refuses lone surrogates."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_characters(v) for v in value]
    if isinstance(value, dict):
        return {_characters(k): _characters(v) for k, v in value.items()}
    return value


def loads_utf8(data: bytes) -> Any:
    """`loads(data.decode("utf-8"))`, raising its UnicodeDecodeError for bytes that are not
    UTF-8. msgspec reads valid UTF-8 straight from the bytes (decoding a story to str only
    for msgspec to encode it again cost as much as parsing it); what it refuses is
    decoded first, then parsed by `loads`."""
    try:
        return _decode(data)
    except ValueError:
        return loads(data.decode("utf-8"))


def field_of(text: str | bytes, name: str) -> Any:
    """The value of key `name` in the JSON object `text` (None when it has none), the
    rest of the object checked but not built: several times faster than `loads` on a
    row holding a story. ValueError when msgspec cannot read `text` (not an object, or
    something only `loads` takes, e.g. NaN): then parse it with `loads`."""
    return getattr(_peek(name)(text), name)


@lru_cache(maxsize=8)
def _peek(name: str):
    return msgspec.json.Decoder(msgspec.defstruct("Peek", [(name, Any, None)])).decode


def _numpy_scalar(value: Any) -> Any:
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():
        return value.item()   # np.float64, np.int64, np.bool_ ... (numpy is not imported)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_encode = msgspec.json.Encoder(enc_hook=_numpy_scalar).encode


def dumps(value: Any) -> str:
    return _encode(value).decode("utf-8")


def line(value: Any) -> bytes:
    """`dumps(value)` and a newline, as UTF-8 bytes: for files opened in binary mode,
    which skip a decode and an encode of every row."""
    return _encode(value) + b"\n"
