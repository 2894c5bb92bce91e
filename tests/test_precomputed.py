import json

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
