"""Errors the docs promise (docs/config.md): a missing file, a malformed data line, a
missing column stop `summcheck validate` and `summcheck run` with exit 2 and one message
naming the file, the 1-based line or the field, what is wrong and the fix. No network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from summcheck.cli import app
from summcheck.errors import DataError

ROWS = [{"id": f"s{i}", "article": f"Story {i} began. It went on. It ended.",
         "highlights": f"Point {i}."} for i in range(5)]
JSONL_CONFIG = ("name: bad-data\n"
                "dataset: {source: hf, path: json, data_files: ex.jsonl, split: train,\n"
                "          fields: {id: id, story: article, highlights: highlights}}\n"
                "summarizers: [{type: lead}]\nreport: {enabled: false}\n")
JSON_FIX = ('Each line must be one JSON object, like {"id": ..., "article": ..., '
            '"highlights": ...}; fix or remove it.')

# line 3 of ex.jsonl, and what the message must say about it
BAD_LINES = {
    "truncated": (b'{"id": "s2", "article": "Story 2 be',
                  ["not valid JSON (Unterminated string", JSON_FIX]),
    "not-json": (b"id=s2 article=Story", ["not valid JSON (Expecting value: column 1)", JSON_FIX]),
    "array": (b"[1, 2]", ["a list, not a JSON object", JSON_FIX]),
    "string": (b'"Story 2 began."', ["a string, not a JSON object", JSON_FIX]),
    "missing-story": (b'{"id": "s2", "highlights": "Point 2."}',
                      ["no key 'article' (fields.story); its keys are id, highlights",
                       "set fields.story to the key that holds it"]),
    "story-number": (b'{"id": "s2", "article": 42, "highlights": "x"}',
                     ["'article' (fields.story) is a number, not text",
                      "Give the story as a string"]),
    "story-null": (b'{"id": "s2", "article": null, "highlights": "x"}',
                   ["'article' (fields.story) is empty (null), not text"]),
    "id-missing": (b'{"article": "Story.", "highlights": "x"}',
                   ["'id' (fields.id) is missing or empty", "`fields.id: null`"]),
    "id-nan": (b'{"id": NaN, "article": "Story.", "highlights": "x"}',   # was the id "nan"
               ["'id' (fields.id) is missing or empty"]),
    "highlights-number": (b'{"id": "s2", "article": "S.", "highlights": 7}',
                          ["'highlights' (fields.highlights) is a number",
                           "a string or a list of strings"]),
    # str(list) in a text field: one reference bullet with brackets and quotes
    "highlights-list-as-text": (
        b'{"id": "s2", "article": "S.", "highlights": "[\'Point 2.\', \'Point 3.\']"}',
        ["'highlights' (fields.highlights) is a list written as text",
         "rougeLsum then equals rougeL", "one per line"]),
}


def write_jsonl(folder: Path, line3: bytes | None = None) -> Path:
    lines = [json.dumps(r).encode() for r in ROWS]
    if line3 is not None:
        lines[2] = line3
    path = folder / "ex.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def cli(*args: str):
    """Run summcheck in `folder`; (exit code, everything printed)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config(folder: Path, text: str = JSONL_CONFIG) -> Path:
    (folder / "c.yaml").write_text(text)
    return folder / "c.yaml"


# ---------------------------------------------------------------- malformed lines
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", BAD_LINES)
def test_malformed_jsonl_line_names_file_line_problem_and_fix(here, kind, command):
    pytest.importorskip("datasets")
    line3, expected = BAD_LINES[kind]
    data = write_jsonl(here, line3)
    config(here)
    args = [command, "c.yaml"] + (["--no-progress"] if command == "run" else [])
    code, output = cli(*args)
    assert code == 2, output
    assert output.startswith(f"error: dataset.data_files: {data}, line 3: "), output
    for text in expected:
        assert text in output, output
    assert "Traceback" not in output and "DatasetGenerationError" not in output
    assert not (here / "runs").exists()


def test_non_utf8_line(here):
    data = write_jsonl(here, '{"id": "s2", "article": "Caf\u00e9.", "highlights": "x"}'
                       .encode("latin-1"))
    config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert f"{data} is not UTF-8 text (line 3 has byte 0xe9)" in output
    assert "Re-encode it as UTF-8" in output


def test_run_prints_one_message_without_datasets_noise(here):
    """The whole process: stderr is the one message (no traceback, no datasets log)."""
    pytest.importorskip("datasets")
    data = write_jsonl(here, b'{"id": "s2", "article": "Story 2 be')
    config(here)
    done = subprocess.run([sys.executable, "-m", "summcheck", "run", "c.yaml", "--no-progress"],
                          capture_output=True, text=True, cwd=here, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: dataset.data_files: {data}, line 3: not valid JSON (Unterminated string "
        f"starting at: column 25). {JSON_FIX}"]


def test_good_file_validates_and_counts_rows(here):
    write_jsonl(here)
    config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 0, output
    assert "5 dataset rows checked" in output


@pytest.mark.parametrize("summaries, message", [
    ('{"id": "s1", "summary": "One."}\n{"id": "s2", "summary": "Two."}\n', None),
    ('{"id": "s1", "summary": "One."}\n{"id": "s2", "summary": ', "line 2: not valid JSON"),
    ('{"id": "s1", "text": "One."}\n', "line 1: no field 'summary'"),
    ('{"id": "s1", "summary": "One."}\n{"id": "s1", "summary": "Two."}\n',
     "lines 1 and 2: the same id 's1'"),
])
def test_validate_reads_the_summaries_files_as_a_run_would(here, summaries, message):
    """validate said "ok" for a config whose precomputed file `run` then refused."""
    write_jsonl(here)
    (here / "sums.jsonl").write_text(summaries)
    config(here, JSONL_CONFIG.replace(
        "summarizers: [{type: lead}]",
        "summarizers: [{type: lead}, {type: precomputed, name: mine, path: sums.jsonl}]"))
    code, output = cli("validate", "c.yaml")
    if message is None:
        assert code == 0 and "2 rows of 1 summaries file(s) checked" in output, output
    else:
        assert code == 2 and message in output and "sums.jsonl" in output, output


def test_validate_names_the_command_that_prepares_missing_data(here):
    config(here, "name: t\ndataset: {source: hf, path: gone.jsonl, prepare: 'make data'}\n"
                 "summarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and "Prepare the data first: make data" in output, output


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_validate_finds_a_duplicate_id_and_names_both_rows(here, layout):
    """validate said "ok" and the run then stopped on the duplicate, naming no row."""
    rows = [*ROWS[:3], {**ROWS[3], "id": ROWS[1]["id"]}, ROWS[4]]
    text = ("".join(json.dumps(r) + "\n" for r in rows) if layout == "lines"
            else json.dumps(rows))
    (here / "ex.jsonl").write_text(text)
    config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 2, output
    assert f"duplicate example id {ROWS[1]['id']!r} (data rows 2 and 4)" in output


@pytest.mark.parametrize("text", [
    "[\n" + ",\n".join(json.dumps(r) for r in ROWS) + "\n]\n",         # one JSON array
    json.dumps(ROWS),                                                  # the array on one line
    "".join(json.dumps(r, indent=2) + "\n" for r in ROWS),             # objects over lines
    "\ufeff" + "".join(json.dumps(r) + "\n\n" for r in ROWS),          # BOM, blank lines
])
def test_other_json_that_datasets_reads_is_accepted(here, text):
    (here / "ex.jsonl").write_text(text, encoding="utf-8")
    config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 0, output
    assert "5 dataset rows checked" in output


def test_bad_item_of_a_json_array(here):
    rows = [*ROWS[:3], {"id": "s3", "article": ["a", "b"]}]
    (here / "ex.jsonl").write_text(json.dumps(rows, indent=1))
    config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert "ex.jsonl, item 4 of the array: 'article' (fields.story) is a list of strings" in output


def test_mapped_key_in_no_row(here):
    write_jsonl(here)
    config(here, JSONL_CONFIG.replace("highlights: highlights}", "highlights: highlight}"))
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert "fields.highlights: column 'highlight' does not exist. Did you mean 'highlights'?" \
        in output and "Columns: id, article, highlights" in output


# ---------------------------------------------------------------- missing files (validate)
def test_missing_data_file(here):
    path = config(here)
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert output.strip() == (
        f"error: {path.name}: line 2, dataset.data_files: file {here / 'ex.jsonl'} does not "
        "exist. Fix the path (relative paths are read from the config file's folder).")


@pytest.mark.parametrize("data_files, what", [
    ("[ex.jsonl, more.jsonl]", "file {here}/more.jsonl does not exist"),
    ("'parts/*.jsonl'", "pattern {here}/parts/*.jsonl matches no file. Fix the pattern"),
    ("{train: [ex.jsonl, nope.jsonl]}", "file {here}/nope.jsonl does not exist"),
])
def test_missing_data_files_list_glob_and_split_map(here, data_files, what):
    write_jsonl(here)
    config(here, JSONL_CONFIG.replace("data_files: ex.jsonl", f"data_files: {data_files}"))
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert f"line 2, dataset.data_files: {what.format(here=here)}" in output


def test_glob_pattern_is_expanded_and_each_file_checked(here):
    (here / "parts").mkdir()
    write_jsonl(here / "parts")
    (here / "parts" / "b.jsonl").write_text('{"id": "x", "article": "S.", "highlights": 1}\n')
    config(here, JSONL_CONFIG.replace("data_files: ex.jsonl", "data_files: 'parts/*.jsonl'"))
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert f"{here / 'parts' / 'b.jsonl'}, line 1: 'highlights' (fields.highlights)" in output


def test_missing_dataset_path_file(here):
    config(here, "name: t\ndataset: {source: hf, path: data/stories.jsonl}\n"
                 "summarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert output.strip() == (
        f"error: dataset.path: file not found: {here / 'data' / 'stories.jsonl'}. Fix "
        "dataset.path (relative paths are read from the config file's folder).")


def test_missing_precomputed_path(here):
    config(here, "name: t\nsummarizers:\n  - {type: lead}\n"
                 "  - {type: precomputed, path: out/summaries.jsonl}\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert (f"c.yaml: line 4, summarizers[1].path: file {here / 'out' / 'summaries.jsonl'} "
            "does not exist. Fix the path") in output


def test_news_pages_dir_missing_or_empty(here):
    config(here, "name: t\ndataset: {source: news_pages, dir: pages}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and f"line 2, dataset.dir: folder {here / 'pages'} does not exist" in output
    (here / "pages").mkdir()
    (here / "pages" / "one.md").write_text("Title\n\nStory\nText.\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert f"dataset.glob: no file in {here / 'pages'} matches '*.txt'. Fix dataset.glob" in output


def test_hub_data_files_are_left_to_the_hub(here):
    config(here, "name: t\ndataset: {source: hf, path: someone/news, data_files: 'en/*.parquet'}\n"
                 "summarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 0, output


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_misspelt_data_file_extension_is_a_missing_local_file(here, command):
    """good.jsnl passed validate, and the run asked the hub for a dataset of that name."""
    write_jsonl(here)
    config(here, "name: t\ndataset: {source: hf, path: ex.jsnl}\nsummarizers: [{type: lead}]\n")
    code, output = cli(command, "c.yaml", *(["--no-progress"] if command == "run" else []))
    assert code == 2 and output.strip() == (
        f"error: dataset.path: file not found: {here / 'ex.jsnl'}. Did you mean ex.jsonl? Fix "
        "dataset.path (relative paths are read from the config file's folder). (A hub dataset "
        "id, such as abisee/cnn_dailymail, has no file extension, and its owner is not a local "
        "folder.)")


@pytest.mark.parametrize("path", ["cnn_dailymail", "abisee/cnn_dailymail", "someone/news-v1.2",
                                  "nofolder/news.jsnl", "data/stories", "data.tsv"])
def test_hub_ids_stay_hub_ids_and_local_paths_are_local(here, path):
    from summcheck.config import load_config
    from summcheck.data.sources import resolve
    from summcheck.errors import DataError

    (here / "data").mkdir()
    config(here, f"name: t\ndataset: {{source: hf, path: {path}}}\nsummarizers: [{{type: lead}}]\n")
    spec = load_config(here / "c.yaml").dataset
    if path.startswith("data"):
        with pytest.raises(DataError, match=f"dataset.path: file not found: {here / path}"):
            resolve(spec)
    else:
        assert resolve(spec) == (path, None)


# ---------------------------------------------------------------- CSV and empty files
CSV = "id,article,highlights\ns0,Story zero. It ended.,Point.\n"


@pytest.mark.parametrize("command", ["validate", "run"])
def test_csv_missing_mapped_column(here, command):
    pytest.importorskip("datasets")
    (here / "ex.csv").write_text(CSV.replace("article", "body"))
    config(here, "name: t\ndataset: {source: hf, path: ex.csv}\nsummarizers: [{type: lead}]\n")
    code, output = cli(command, "c.yaml", *(["--no-progress"] if command == "run" else []))
    assert code == 2
    assert output.strip() == (
        f"error: dataset.path: {here / 'ex.csv'}, line 1 (the header): fields.story: column "
        "'article' does not exist. Columns: id, body, highlights. Set fields.story to one of "
        "them.")


@pytest.mark.parametrize("row, expected", [
    ('s1,"Story, with a comma",Point.,extra\n', "line 3: 4 fields, but the header has 3"),
    ("s1,,Point.\n", "line 3: 'article' (fields.story) is empty (null), not text"),
    ('s1,"Story one, no end quote,Point.\ns2,Two.,P.\n',
     "line 3: a quoted field opened on this line is never closed"),
    ('s1,"He said "hi" then",P.\ns2,,P.\n', "line 4: 'article' (fields.story) is empty"),
    # pandas' to_csv of a list column: it was one reference bullet
    ('s1,One. Two.,"[\'Point one.\', \'Point two.\']"\n',
     "line 3: 'highlights' (fields.highlights) is a list written as text"),
])
def test_csv_bad_row(here, row, expected):
    (here / "ex.csv").write_text(CSV + row)
    config(here, "name: t\ndataset: {source: hf, path: ex.csv}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and f"{here / 'ex.csv'}, {expected}" in output


def test_csv_header_naming_a_mapped_column_twice(here):
    """The last 'article' column was read, silently."""
    (here / "ex.csv").write_text("id,article,highlights,article\ns0,Story. It ended.,P.,Other.\n")
    config(here, "name: t\ndataset: {source: hf, path: ex.csv}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and output.strip() == (
        f"error: dataset.path: {here / 'ex.csv'}, line 1 (the header): fields.story: column "
        "'article' appears twice (columns 2 and 4), so which one to read is unclear. Rename "
        "one (or remove it), so that only one column is called 'article'.")


def test_parquet_schema_naming_a_mapped_column_twice(here):
    """pyarrow could not pick one: a KeyError traceback."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    columns = [pa.array(["a"]), pa.array(["Story."]), pa.array(["Other."])]
    pq.write_table(pa.table(columns, names=["id", "article", "article"]), here / "ex.parquet")
    config(here, "name: t\ndataset: {source: hf, path: ex.parquet}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and "column 'article' appears twice (columns 2 and 3)" in output


@pytest.mark.parametrize("sep, name", [(";", "';'"), ("\t", "a tab")])
def test_csv_with_another_delimiter_says_so_and_how_to_convert(here, sep, name):
    """The message said column 'id' did not exist and to change fields.id."""
    (here / "ex.csv").write_text(CSV.replace(",", sep))
    config(here, "name: t\ndataset: {source: hf, path: ex.csv}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2, output
    assert (f"{here / 'ex.csv'}, line 1 (the header): the header is one column, "
            f"{CSV.splitlines()[0].replace(',', sep)!r}: the file seems to use {name} as its "
            "delimiter, and summcheck reads comma-separated CSV") in output
    command = output.split("`")[1]   # it is safe to paste, and its output reads
    subprocess.run(["bash", "-c", command], check=True)
    config(here, "name: t\ndataset: {source: hf, path: ex-comma.csv}\n"
                 "summarizers: [{type: lead}]\n")
    assert cli("validate", "c.yaml")[0] == 0


def test_csv_line_numbers_count_quoted_newlines(here):
    (here / "ex.csv").write_text(CSV + 's1,"Para one.\n\nPara two.",Point.\ns2,,x\n')
    config(here, "name: t\ndataset: {source: hf, path: ex.csv}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and f"{here / 'ex.csv'}, line 6: 'article'" in output


@pytest.mark.parametrize("command", ["validate", "run"])
def test_empty_file(here, command):
    pytest.importorskip("datasets")
    (here / "ex.jsonl").write_text("")
    config(here)
    code, output = cli(command, "c.yaml", *(["--no-progress"] if command == "run" else []))
    assert code == 2
    assert output.strip() == (f"error: dataset.data_files: {here / 'ex.jsonl'} has no rows. "
                              "Add examples to it or fix dataset.data_files.")


def test_parquet_missing_column_and_story_that_is_not_text(here):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    config(here, "name: t\ndataset: {source: hf, path: ex.parquet}\nsummarizers: [{type: lead}]\n")
    pd.DataFrame({"id": ["a"], "body": ["S."], "highlights": ["x"]}).to_parquet(here / "ex.parquet")
    code, output = cli("validate", "c.yaml")
    assert code == 2 and "fields.story: column 'article' does not exist" in output
    assert "Columns: id, body, highlights" in output
    pd.DataFrame({"id": ["a"], "article": [3], "highlights": ["x"]}).to_parquet(here / "ex.parquet")
    code, output = cli("validate", "c.yaml")
    assert code == 2
    assert f"{here / 'ex.parquet'}: fields.story column 'article' holds int64, not text" in output


def test_a_nan_parquet_id_is_a_missing_id(here):
    """pandas' null in a float id column was read as the id "nan"; `datasets` (a hub
    dataset) hands the same NaN to `to_example`."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from summcheck.config import HFDataset
    from summcheck.data.mapping import to_example
    from summcheck.errors import DataError

    frame = pd.DataFrame({"id": [1.0, float("nan")], "article": ["S.", "T."], "highlights": "x"})
    frame.to_parquet(here / "ex.parquet")
    config(here, "name: t\ndataset: {source: hf, path: ex.parquet}\nsummarizers: [{type: lead}]\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2, output
    assert "ex.parquet, row 2 (counting from 1): 'id' (fields.id) is missing or empty" in output
    spec = HFDataset(source="hf", path="someone/news")
    with pytest.raises(DataError, match="row 1: fields.id column 'id' is empty"):
        to_example(spec, frame.iloc[1].to_dict(), 1)


def test_a_parquet_category_column_of_text_is_text(here):
    """pandas writes a `category` column as a dictionary of strings: it was refused as
    "not text"; its rows read as the strings they hold."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from summcheck.config import load_config
    from summcheck.data import load_examples

    config(here, "name: t\ndataset: {source: hf, path: ex.parquet}\nsummarizers: [{type: lead}]\n")
    frame = pd.DataFrame({"id": ["a", "b", "c"], "article": ["Story one.", "Story two.", "Story one."],
                          "highlights": ["x", "y", "z"]})
    for column in ("article", "id"):
        frame[column] = frame[column].astype("category")
    frame.to_parquet(here / "ex.parquet")
    code, output = cli("validate", "c.yaml")
    assert code == 0, output
    examples = load_examples(load_config(here / "c.yaml").dataset)
    assert [(e.id, e.story) for e in examples] == [("a", "Story one."), ("b", "Story two."),
                                                   ("c", "Story one.")]


def test_run_also_stops_on_a_missing_data_file(here):
    config(here)
    code, output = cli("run", "c.yaml", "--no-progress")
    assert code == 2 and "dataset.data_files: file" in output and "does not exist" in output


@pytest.mark.parametrize("name, content, fields, message", [
    # a syntax error inside a JSON array was "line 1", with the JSON Lines fix
    ("arr.json", '[\n  {"id": "a", "article": "S.", "highlights": "x"}\n'
                 '  {"id": "b", "article": "T.", "highlights": "y"}\n]\n', "",
     "arr.json, line 3: not valid JSON (Expecting ',' delimiter"),
    # a short CSV row was "no key 'article'; its keys are id", though the header has it
    ("short.csv", "id,title,article,highlights\nx,t,S.,h\ny,t2\n", "",
     "short.csv, line 3: 2 fields, but the header has 4, so 'article' (fields.story) is empty"),
    # a title that is not text became its Python repr
    ("t.jsonl", '{"id": "a", "article": "S.", "highlights": "x", "title": ["x"]}\n',
     ", title: title", "'title' (fields.title) is a list of strings, not text"),
])
def test_malformed_rows_are_named_with_the_right_problem(here, name, content, fields, message):
    (here / name).write_text(content)
    builder = {"json": "json", "csv": "csv", "jsonl": "json"}[name.rsplit(".", 1)[1]]
    config(here, "name: bad-data\n"
                 f"dataset: {{source: hf, path: {builder}, data_files: {name}, split: train,\n"
                 f"          fields: {{id: id, story: article, highlights: highlights{fields}}}}}\n"
                 "summarizers: [{type: lead}]\nreport: {enabled: false}\n")
    code, output = cli("validate", "c.yaml")
    assert code == 2, output
    assert message in " ".join(output.split()), output


def test_an_empty_highlights_separator_is_a_config_error(here):
    """It was a ValueError ("empty separator") with a traceback in the middle of a run."""
    write_jsonl(here)
    config(here, JSONL_CONFIG.replace("split: train,", "split: train, highlights_sep: '',"))
    code, output = cli("validate", "c.yaml")
    assert code == 2 and "highlights_sep" in output, output


def test_a_compressed_data_file_given_as_path_says_how_to_read_it(here):
    """`path: ex.jsonl.gz` was taken for a hub id: "couldn't find any data file" for a file
    that exists."""
    import gzip

    (here / "ex.jsonl.gz").write_bytes(gzip.compress(write_jsonl(here).read_bytes()))
    config(here, "name: gz\ndataset: {source: hf, path: ex.jsonl.gz, split: train,\n"
                 "          fields: {id: id, story: article, highlights: highlights}}\n"
                 "summarizers: [{type: lead}]\nreport: {enabled: false}\n")
    code, output = cli("validate", "c.yaml")
    flat = " ".join(output.split())
    assert code == 2 and "`path: json`" in flat and "ex.jsonl.gz`" in flat, output


def test_the_run_names_the_examples_that_share_an_id(here):
    rows = [*ROWS[:3], {**ROWS[3], "id": ROWS[1]["id"]}, ROWS[4]]
    (here / "ex.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config(here)
    code, output = cli("run", "c.yaml", "--no-progress")
    assert code == 2 and "(examples 2 and 4 as read)" in output, output


# ---------------------------------------------------------------- one split per file list
_SPLIT_FILES = {"train": ["train", "cnn_train", "training-00001"],
                "validation": ["validation", "dev", "frank_valid", "val"],
                "test": ["test", "cnn_dm_test", "testing"]}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(_SPLIT_FILES)), min_size=1, max_size=3, unique=True),
       st.data())
def test_a_pattern_over_several_splits_files_is_refused(tmp_path_factory, splits, data):
    """`data_files: data/*.jsonl, split: test` over train.jsonl and test.jsonl read both,
    all as the test split: `split:` picks no file from a list or a pattern. Refused when
    the files are named for more than one split; one split's files load as before."""
    from summcheck.data.hf import check_local_files, load_hf
    from summcheck.config import HFDataset

    here = tmp_path_factory.mktemp("s")
    for split in splits:
        stem = data.draw(st.sampled_from(_SPLIT_FILES[split]))
        (here / f"{stem}.jsonl").write_text(json.dumps(
            {"id": f"{split}-1", "article": "A story.", "highlights": ["A point."]}) + "\n")
    spec = HFDataset(source="hf", path="json", data_files=str(here / "*.jsonl"),
                     split=data.draw(st.sampled_from(sorted(_SPLIT_FILES))))
    if len(splits) == 1 and (splits[0] == spec.split):
        assert len(load_hf(spec)) == 1 and check_local_files(spec) == 1
        return
    if len(splits) == 1:
        with pytest.raises(DataError, match=rf"dataset.split: '{spec.split}', but "
                                            rf"dataset.data_files names a file of the "
                                            rf"{splits[0]} split"):
            load_hf(spec)
        return
    for load in (load_hf, check_local_files):
        with pytest.raises(DataError, match=r"named for the splits .* read whole, as one "
                                            r"split .*picks no file from it"):
            load(spec)


def test_a_split_named_for_its_files_or_left_out_loads(tmp_path):
    from summcheck.data.hf import load_hf
    from summcheck.config import HFDataset

    for name in ("cnn_train.jsonl", "cnn_test.jsonl", "stories.jsonl"):
        (tmp_path / name).write_text(json.dumps(
            {"id": name, "article": "A story.", "highlights": ["A point."]}) + "\n")
    files = {"train": str(tmp_path / "cnn_train.jsonl"), "test": str(tmp_path / "cnn_test.jsonl")}
    assert load_hf(HFDataset(source="hf", path="json", data_files=files,
                             split="train"))[0].id == "cnn_train.jsonl"
    assert load_hf(HFDataset(source="hf", path=files["train"]))[0].id == "cnn_train.jsonl"
    assert load_hf(HFDataset(source="hf", path=files["train"], split="training"))[0].meta[
        "split"] == "training"
    assert load_hf(HFDataset(source="hf", path=str(tmp_path / "stories.jsonl"),
                             split="validation"))[0].meta["split"] == "validation"
    with pytest.raises(DataError, match="split: 'test', but dataset.path names a file of "
                                        "the train split"):
        load_hf(HFDataset(source="hf", path=files["train"], split="test"))


def test_a_single_quoted_escape_separator_is_refused_where_the_highlights_break_lines(
        tmp_path):
    """`highlights_sep: '\\n'` (single quotes: YAML keeps a backslash and an n) split
    nothing in highlights joined by line breaks: each example had one reference bullet
    and rougeLsum equalled rougeL, silently. Refused with the fix; data that holds the
    two characters is split on them as asked, and the double-quoted line break works."""
    data = tmp_path / "d.jsonl"
    rows = [{"id": "a", "article": "A story.", "highlights": "One point.\nTwo points."}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for quoted, ok in (("'\\n'", False), ('"\\n"', True), ("'\\r\\n'", False)):
        (tmp_path / "c.yaml").write_text(
            f"name: t\ndataset: {{source: hf, path: {data}, highlights_sep: {quoted}}}\n"
            "summarizers: [{type: lead}]\n")
        result = CliRunner().invoke(app, ["validate", str(tmp_path / "c.yaml")])
        assert (result.exit_code == 0) == ok, result.output
        if not ok:
            assert "line 1: the highlights hold line breaks and no" in result.output
            assert 'write it in double quotes: highlights_sep: "' in result.output
    from summcheck.config import HFDataset
    from summcheck.data.mapping import to_example

    spec = HFDataset(source="hf", path="json", highlights_sep="\\n")
    literal = to_example(spec, {"id": "a", "article": "S.", "highlights": "One.\\nTwo."}, 0)
    assert literal.reference_bullets == ("One.", "Two.")
    with pytest.raises(DataError, match="row 0: the highlights hold line breaks"):
        to_example(spec, {"id": "a", "article": "S.", "highlights": "One.\nTwo."}, 0)



def test_highlights_that_hold_only_an_escaped_line_break_are_refused():
    """Highlights exported with "\n" written as a backslash and an n, under the default
    line-break separator, were one reference bullet per example, silently."""
    from summcheck.config import HFDataset
    from summcheck.data.mapping import to_example

    row = {"id": "a", "article": "S.", "highlights": "One.\\nTwo."}
    with pytest.raises(DataError) as err:
        to_example(HFDataset(source="hf", path="json"), row, 0)
    assert "row 0: the highlights hold '\\\\n' (a backslash" in str(err.value)
    assert "write highlights_sep: '\\n' (single quotes)" in str(err.value)
    assert to_example(HFDataset(source="hf", path="json", highlights_sep="\\n"), row,
                      0).reference_bullets == ("One.", "Two.")
    assert to_example(HFDataset(source="hf", path="json", highlights_sep=None), row,
                      0).reference_bullets == ("One.\\nTwo.",)
    assert to_example(HFDataset(source="hf", path="json"), {**row, "highlights": "A.\nB \\n"},
                      0).reference_bullets == ("A.", "B \\n")
