"""fastjson.loads must be json.loads: the same value, or the same error, for any text,
but for lone surrogates, which it reads as U+FFFD (no UTF-8 file can hold them)."""

import json
import math

import pytest
from hypothesis import given, strategies as st

from summcheck import fastjson

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)


def _outcome(load, text):
    try:
        return "value", _canonical(load(text))
    except (ValueError, RecursionError) as err:   # JSONDecodeError and UnicodeDecodeError
        return "error", type(err).__name__


def _json_loads(text):
    """json.loads, each lone surrogate (in a key or a string) then U+FFFD."""
    return _replaced(json.loads(text))


def _replaced(value):
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    return value


def _canonical(value):
    """NaN != NaN: compare through repr, with types kept (1 vs 1.0 vs True)."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return (type(value).__name__, value)


@given(values, st.booleans())
def test_dumped_values_load_alike(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)   # NaN and Infinity included
    assert _outcome(fastjson.loads, text) == _outcome(_json_loads, text)
    assert _outcome(fastjson.loads, text.encode("utf-8", "surrogatepass")) == \
        _outcome(_json_loads, text.encode("utf-8", "surrogatepass"))


@given(st.text(alphabet=st.sampled_from('{}[]":,.-+0123456789eE aé\\u\t\n\ud800tfnrul')))
def test_any_text_loads_or_fails_alike(text):
    assert _outcome(fastjson.loads, text) == _outcome(_json_loads, text)


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', "123456789012345678901234567890", "1e400", "-0", "1.5e-400",
    '"\\ud800"', '"a\tb"', "\ufeff{}", b'\xef\xbb\xbf{"a": 1}', b"\xff", '{"a": 1} x',
    '{"id": "x", "score": NaN}', b'{"id": "\xc3\xa9"}'])
def test_edge_cases_alike(text):
    assert _outcome(fastjson.loads, text) == _outcome(_json_loads, text)


def _decoded_then_loaded(data: bytes):
    return _json_loads(data.decode("utf-8"))


@given(st.binary(max_size=12) | values.map(lambda v: json.dumps(v, ensure_ascii=False)
                                           .encode("utf-8", "surrogatepass")))
@pytest.mark.parametrize("data", [b'{"a": "\xed\xa0\x80"}', b'"\xff"', b'\xef\xbb\xbf{}',
                                  b'{"id": "\xc3\xa9", "s": NaN}', b'"\\ud800"'])
def test_utf8_bytes_load_as_decoded_then_loaded(data, generated):
    """loads_utf8(b) is json.loads(b.decode("utf-8")): value or error, bytes as given
    (a data file's lines) and encodings of any JSON value."""
    for sample in (data, generated):
        assert _outcome(fastjson.loads_utf8, sample) == _outcome(_decoded_then_loaded, sample)


def _nulled(value):
    """`value` as it reads back from dumps: non-finite floats as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_nulled(v) for v in value]
    if isinstance(value, dict):
        return {k: _nulled(v) for k, v in value.items()}
    return value


@given(values)
def test_dumps_reads_back_with_either_parser(value):
    line = fastjson.dumps(value)
    assert "\n" not in line
    expected = _canonical(_nulled(value))
    assert _canonical(json.loads(line)) == expected == _canonical(fastjson.loads(line))


@pytest.mark.parametrize("text", ['{"a\\udc00": ["x\\ud800y", "\\ud83d\\ude00", NaN]}',
                                  '"\ud800"', b'["\\udfff"]'])
def test_lone_surrogates_read_as_replacement_characters_that_write_back(text):
    """Escaped or not, in keys or values; a surrogate pair is one character, kept."""
    value = fastjson.loads(text)
    assert "\ufffd" in json.dumps(value, ensure_ascii=False)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False))
    assert fastjson.loads(fastjson.dumps(value)) is not None   # it writes back
    if isinstance(value, dict):
        assert value["a\ufffd"][1] == "\U0001F600"


def test_dumps_numpy_scalars_and_refuses_other_objects():
    np = pytest.importorskip("numpy")
    row = {"f": np.float64(0.25), "g": np.float32(0.5), "i": np.int64(3), "b": np.bool_(True),
           "nan": np.float64("nan")}
    assert json.loads(fastjson.dumps(row)) == {"f": 0.25, "g": 0.5, "i": 3, "b": True,
                                               "nan": None}
    with pytest.raises(TypeError, match="not JSON serializable"):
        fastjson.dumps({"x": object()})
    with pytest.raises(TypeError):
        fastjson.dumps({"array": np.zeros(2)})


@given(st.dictionaries(st.sampled_from(["id", "x", "ids"]), values, max_size=3))
def test_field_of_is_the_parsed_rows_value_or_refuses(row):
    text = json.dumps(row)
    try:
        got = fastjson.field_of(text, "id")
    except ValueError:   # only for what msgspec cannot read: then the caller parses
        assert "NaN" in text or "Infinity" in text
        return
    assert _canonical(got) == _canonical(json.loads(text).get("id"))
