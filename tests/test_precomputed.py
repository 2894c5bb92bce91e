import json
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    index = pre._index   # a row's hash halves, its row and its line's offset, mapped
    assert index.where.tolist() == [0, len('{"id": "a", "summary": ["A one.", "A two."]}\n\n')]
    assert index.hi.nbytes + index.lo.nbytes + index.row.nbytes + index.where.nbytes == 32 * 2
    assert all(isinstance(a, np.memmap) for a in (index.hi, index.lo, index.row, index.where))
    path.write_text('{"id": "z", "summary": "moved"}\n' * 3, encoding="utf-8")
    with pytest.raises(DataError, match="changed during the run"):
        pre.summarize([Example("b", "x")])


def test_ids_sharing_64_bits_of_hash_are_told_apart(tmp_path, monkeypatch):
    """The index sorts on the first 64 bits of each id's hash; rows whose first halves
    collide are told apart by the second half."""
    from summcheck.summarizers import precomputed

    real = precomputed._digests

    def colliding(keys):   # every id gets the same first 8 bytes
        return b"".join(b"\0" * 8 + real([k])[8:] for k in keys)

    monkeypatch.setattr(precomputed, "_digests", colliding)
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps({"id": i, "summary": [f"S {i}."]}) + "\n"
                            for i in "abcd"))
    out = build(path).summarize([Example(i, "x") for i in "dbqa"])
    assert [s.bullets for s in out] == [("S d.",), ("S b.",), (), ("S a.",)]
    assert "no summary for id 'q'" in out[2].error


def test_csv_ids_are_checked_like_jsonl(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,summary\na,One.\nz,Two.\ny,Three.\n")
    pre = build(path, max_missing=0.8)
    (warning,) = pre.check_ids(EXAMPLES)
    assert "2 of 3 examples have no summary" in warning and "'b', 'c'" in warning
    assert "Ids in the file the dataset lacks: 'y', 'z'" in warning
    assert pre.summarize(EXAMPLES[:1])[0].bullets == ("One.",)
    path.write_text("id,summary\na,One.\nb,Two.\na,Three.\n")
    with pytest.raises(DataError, match="lines 2 and 4: the same id 'a'"):
        build(path).summarize(EXAMPLES)


def test_id_check_names_the_smallest_missing_and_extra_ids(tmp_path):
    """Fed in chunks, the check keeps a count and the three smallest ids of each kind."""
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps({"id": f"f{i:03d}", "summary": "x"}) + "\n"
                            for i in range(50, 0, -1)))
    spec = PrecomputedSpec(type="precomputed", path=str(path), max_missing=0.9)
    check = build_summarizer(spec, max_bullets=None).id_check()
    for start in (0, 30):
        check.add([f"f{i:03d}" for i in range(start + 1, start + 31)])
    (warning,) = check.finish()
    assert warning.startswith("precomputed: 10 of 60 examples have no summary")
    assert "('f051', 'f052', 'f053', ...)" in warning
    assert "lacks: none" in warning


def test_precomputed_summaries_never_enter_the_generation_cache(tmp_path):
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": "a", "summary": "One. Two."}) + "\n")
    pre, cache = build(path), GenerationCache(tmp_path / "cache")
    out, generated = summarize_with_cache(pre, EXAMPLES, cache, batch_size=1)
    assert generated == 0 and out[0].bullets == ("One.", "Two.")
    assert out[1].error and "no summary for id 'b'" in out[1].error
    assert cache.get_many(pre, EXAMPLES) == {}
    cache.close()


def test_a_list_bullet_is_one_line_as_a_text_bullet_is(tmp_path):
    """A "\n" kept inside a list bullet made rougeLsum score it as two sentences (higher
    than the same text given as a string)."""
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"id": "a", "summary": ["The dog ran home.\nThe cat sat.",
                                                       "  x \t y "]}) + "\n"
                    + json.dumps({"id": "b", "summary": "- The dog ran home.\n  The cat sat.\n"
                                                        "- x \t y"}) + "\n")
    a, b, _ = build(path).summarize(EXAMPLES)
    assert a.bullets == b.bullets == ("The dog ran home. The cat sat.", "x y")


def test_csv_summaries_are_read_as_csv_not_as_lines(tmp_path):
    """str.splitlines broke a CSV summary at U+2028 (the rest became an "id"), and a row
    with more fields than the header lost them silently."""
    path = tmp_path / "out.csv"
    path.write_text('id,summary\na,"First.\u2028Second, third."\nb,"Two\nlines."\n',
                    encoding="utf-8")
    a, b, _ = build(path).summarize(EXAMPLES)
    assert " ".join(a.bullets) == "First.\u2028Second, third." or a.bullets == (
        "First.", "Second, third.")
    assert b.bullets == ("Two", "lines.") and not a.error and not b.error   # as a text
    path.write_text("id,summary\na,First, cut here.\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"out.csv, line 2: 3 fields, but the header has 2"):
        build(path).summarize(EXAMPLES)


@pytest.mark.parametrize("suffix, content", [
    (".jsonl", b'{"id": "a", "summary": "K\xe9nya won."}\n'),
    (".csv", b"id,summary\na,K\xe9nya won.\n"),
])
def test_bytes_that_are_not_utf8_are_bad_input_not_a_model_failure(tmp_path, suffix, content):
    """A JSONL summary with such a byte was scored as a failed summary (exit 0), a CSV
    one with the byte replaced: both are the file's fault, named with its line."""
    path = tmp_path / f"out{suffix}"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"out\.(jsonl|csv).*(line|after line) [12].*UTF-8"):
        build(path).summarize(EXAMPLES)


def test_null_list_items_are_no_bullets_and_a_bom_is_no_part_of_the_first_id(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "summary": ["x", None, "y"]})
                     .encode() + b"\n")
    (a, *_) = build(path).summarize(EXAMPLES)
    assert a.bullets == ("x", "y")
    csv_path = tmp_path / "out.csv"
    csv_path.write_bytes(b"\xef\xbb\xbfid,summary\na,One.\n")
    (a, *_) = build(csv_path).summarize(EXAMPLES)
    assert a.bullets == ("One.",)


def test_csv_errors_name_the_line_a_row_starts_on(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text('id,summary\na,"one\ntwo\nthree"\nb,x\na,again\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"lines 2 and 6: the same id 'a'"):
        build(path).summarize(EXAMPLES)


def test_a_summary_with_no_word_is_an_empty_summary_a_failure(tmp_path):
    """"...", "-", ["", "."] scored consistency 1.0 with no error: a failure that looked like a
    perfect summary."""
    from summcheck.summarizers.cache import summarize_batch

    path = tmp_path / "out.jsonl"
    rows = [("a", "..."), ("b", ["-", " . "]), ("c", "- One.\n- ...")]
    path.write_text("".join(json.dumps({"id": i, "summary": v}) + "\n" for i, v in rows))
    a, b, c = summarize_batch(build(path), EXAMPLES)
    assert a.error == b.error == "empty summary" and a.bullets == b.bullets == ()
    assert c.error is None and c.bullets == ("One.",)


@pytest.mark.parametrize("summary, what", [
    ({"text": "Record."}, "an object"),
    ([{"text": "Record."}], "a list whose item 1 is an object"),
    (["One.", ["Record."]], "a list whose item 2 is a list of strings"),
    (True, "a boolean"),
    (12, "a number"),
])
def test_a_summary_that_is_not_text_names_its_line_and_field(tmp_path, summary, what):
    """Such a summary was scored as its Python repr ("{'text': 'Record.'}", "True")."""
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"id": "a", "summary": "One."}) + "\n"
                    + json.dumps({"id": "b", "summary": summary}) + "\n")
    with pytest.raises(DataError, match=rf"out\.jsonl, line 2: 'summary' is {what}\. "
                                        "Give the summary as a string or a list of strings"):
        build(path).check_file()


@pytest.mark.parametrize("text, problem", [
    # the last 'summary' column was read, silently
    ("id,summary,summary\na,Real summary.,Unrelated draft.\n",
     r"column 'summary' appears twice \(columns 2 and 3\).*Rename one"),
    # it said "no field 'id'" and to set id_field, which cannot help
    ("id;summary\na;One.\n",
     r"the header is one column, 'id;summary': the file seems to use ';'"),
])
def test_a_csv_header_that_cannot_be_read_as_meant_names_why(tmp_path, text, problem):
    path = tmp_path / "out.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=r"out\.csv, line 1 \(the header\): " + problem):
        build(path).check_file()


@pytest.mark.parametrize("bad_id", ["null", "NaN", '"  "'])
def test_a_summary_without_an_id_names_its_line(tmp_path, bad_id):
    """A null id became the id "None" (and NaN "nan"): a summary of no example, only
    warned about as an id the data lacks."""
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "summary": "One."}\n'
                    f'{{"id": {bad_id}, "summary": "Two."}}\n')
    with pytest.raises(DataError, match=r"out\.jsonl, line 2: 'id' is missing or empty"):
        build(path).check_file()


def test_summaries_cut_to_max_bullets_are_counted_and_warned(tmp_path):
    """Another system's paragraph of six sentences was scored on its first four with no
    sign of it: each cut summary says how many bullets it lost, and the run warns."""
    from summcheck.runner import summary_warnings

    path = tmp_path / "out.jsonl"
    six = " ".join(f"Sentence number {i} is here." for i in range(1, 7))
    path.write_text(json.dumps({"id": "a", "summary": six}) + "\n"
                    + json.dumps({"id": "b", "summary": ["One.", "Two.", "Three."]}) + "\n"
                    + json.dumps({"id": "c", "summary": [f"B{i}." for i in range(5)]}) + "\n")
    a, b, c = build(path, max_bullets=4).summarize(EXAMPLES)
    assert len(a.bullets) == 4 and a.meta == {"bullets_cut": 2}
    assert b.meta == {} and c.meta == {"bullets_cut": 1} and len(c.bullets) == 4
    results = {"summarizers": [{"label": "sys", "n_examples": 3, "n_cut_to_max_bullets": 2}]}
    assert summary_warnings(results) == [
        "sys: 2 of 3 summaries have more bullets (or sentences) than max_bullets; only their "
        "first max_bullets were scored. Raise max_bullets to score them whole"]


@pytest.mark.parametrize("suffix, text", [
    # pandas writes a list column to CSV as the list's Python repr
    (".csv", 'id,summary\na,One.\nb,"[\'The council met.\', \'Fees rose 3%.\']"\n'),
    (".csv", 'id,summary\na,One.\nb,"[""The council met."", ""Fees rose 3%.""]"\n'),
    (".jsonl", json.dumps({"id": "a", "summary": "One."}) + "\n"
     + json.dumps({"id": "b", "summary": str(["The council met.", "Fees rose 3%."])}) + "\n"),
])
def test_a_list_written_as_text_names_its_line(tmp_path, suffix, text):
    """It was one bullet holding the brackets and quotes: rougeLsum scored it as one
    sentence (equal to rougeL) and max_bullets never cut it."""
    path = tmp_path / f"out{suffix}"
    path.write_text(text)
    line = 3 if suffix == ".csv" else 2    # a CSV's header is line 1
    with pytest.raises(DataError, match=rf"line {line}: 'summary' is a list written as text "
                                        r"\(.\[.*The council met.*\): it would be scored as one"):
        build(path).check_file()


@pytest.mark.parametrize("summary", ["[Update] The council met.", "[]", "[1, 2] rose.",
                                     "Fees [rose] 3%.", "[ 'unclosed ]"])
def test_a_text_with_brackets_is_still_a_text(tmp_path, summary):
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"id": "a", "summary": summary}) + "\n")
    assert build(path).check_file() == 1


_SENTENCE = st.sampled_from(["Three people were hurt.", "The council voted 5 to 2.",
                             "Prices rose 3.5% in May.", "Lee resigned on Monday."])
_MARKER = st.sampled_from(["- ", "* ", "• ", "1. ", "2) "])
_LEAD_IN = st.sampled_from(["Highlights:", "**Key points:**", "Here are 3 highlights:"])


@settings(max_examples=80, deadline=None)
@given(bullets=st.lists(st.tuples(_MARKER, _SENTENCE), min_size=1, max_size=6),
       lead_in=st.lists(_LEAD_IN, max_size=1), max_bullets=st.sampled_from([None, 2, 4]))
def test_a_list_summary_has_the_bullets_of_the_same_list_written_as_text(
        tmp_path_factory, bullets, lead_in, max_bullets):
    """A summary given as a JSON list kept "- " markers and a "Highlights:" item as
    bullets (the lead-in then pushed the last real bullet past max_bullets), where the
    same summary written as text was parsed into clean bullets. Both read alike now,
    with or without the markers."""
    path = tmp_path_factory.mktemp("p") / "s.jsonl"
    lines = lead_in + [marker + sentence for marker, sentence in bullets]
    path.write_text("".join(json.dumps({"id": i, "summary": s}) + "\n" for i, s in [
        ("a", lines), ("b", "\n".join(lines)), ("c", [s for _, s in bullets])]))
    pre = build_summarizer(PrecomputedSpec(type="precomputed", path=str(path)),
                           max_bullets=max_bullets)
    listed, text, bare = pre.summarize([Example(i, "story") for i in "abc"])
    assert listed.bullets == text.bullets == bare.bullets
    assert listed.bullets == tuple(s for _, s in bullets)[:max_bullets]
