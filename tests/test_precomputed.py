import json
from types import SimpleNamespace

import pytest

from summcheck.config import PrecomputedSpec
from summcheck.errors import DataError
from summcheck.summarizers.base import build_summarizer
from summcheck.types import Example

EXAMPLES = [Example("a", "story a"), Example("b", "story b"), Example("c", "story c")]


def build(path, **kw):
    return build_summarizer(PrecomputedSpec(type="precomputed", path=str(path), **kw), max_bullets=2)


def test_jsonl_with_text_and_list_summaries(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"id": "a", "summary": "- one\n- two\n- three"}) + "\n"
                    + json.dumps({"id": "b", "summary": ["x", " ", "y", "z"]}) + "\n")
    a, b, c = build(path).summarize(EXAMPLES)
    assert a.bullets == ("one", "two") and b.bullets == ("x", "y")
    assert c.bullets == () and "no summary for id 'c'" in c.error


def test_csv_with_custom_fields(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("doc,text\na,First sentence. Second sentence. Third.\n")
    summary = build(path, id_field="doc", summary_field="text").summarize(EXAMPLES[:1])[0]
    assert summary.bullets == ("First sentence.", "Second sentence.")


def test_bad_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "summary": "x"}\n{oops\n')
    with pytest.raises(DataError, match=r"out.jsonl, line 2: not valid JSON"):
        build(path).summarize(EXAMPLES)


def test_missing_field_names_field(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n')
    with pytest.raises(DataError, match=r"line 1: no field 'summary'"):
        build(path).summarize(EXAMPLES)


def test_fingerprint_follows_file_content(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "summary": "x"}\n')
    before = build(path).fingerprint()
    path.write_text('{"id": "a", "summary": "y"}\n')
    assert build(path).fingerprint() != before


def test_jsonl_summaries_are_read_back_by_offset_not_held(tmp_path):
    from summcheck.summarizers.precomputed import Precomputed

    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a", "summary": ["A one.", "A two."]}\n\n'
                    '{"id": "b", "summary": "B one. B two."}\n', encoding="utf-8")
    spec = SimpleNamespace(label="pre", path=str(path), id_field="id", summary_field="summary")
    pre = Precomputed(spec, max_bullets=None)
    out = pre.summarize([Example("b", "x"), Example("a", "y"), Example("c", "z")])
    assert [s.bullets for s in out[:2]] == [("B one.", "B two."), ("A one.", "A two.")]
    assert out[2].error and "no summary for id 'c'" in out[2].error
    assert all(isinstance(v, int) for v in pre._index.values())   # offsets only
    path.write_text('{"id": "z", "summary": "moved"}\n' * 3, encoding="utf-8")
    with pytest.raises(DataError, match="changed during the run"):
        pre.summarize([Example("b", "x")])
