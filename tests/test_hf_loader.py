"""The Hugging Face datasets loader, on local json/jsonl/csv/parquet files (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
datasets = pytest.importorskip("datasets")

from summcheck.config import FieldMap, HFDataset, load_config  # noqa: E402
from summcheck.data import load_examples  # noqa: E402
from summcheck.data.hf import load_hf  # noqa: E402
from summcheck.errors import DataError  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

ROWS = [
    {
        "id": f"story-{i}",
        "article": f"Story number {i} happened on day {i}. It was short.",
        "highlights": f"First point {i} .\n- Second point {i} .\n\n",
    }
    for i in range(12)
]


def write_rows(tmp_path: Path, fmt: str, rows: list[dict] = ROWS) -> Path:
    frame = pd.DataFrame(rows)
    path = tmp_path / f"data.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def spec(**kwargs) -> HFDataset:
    return HFDataset(source="hf", **kwargs)


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_file_given_as_path(tmp_path, fmt):
    path = write_rows(tmp_path, fmt)
    examples = load_hf(spec(path=str(path)))
    assert [ex.id for ex in examples] == [f"story-{i}" for i in range(12)]
    first = examples[0]
    assert first.story == ROWS[0]["article"]
    assert first.reference_bullets == ("First point 0 .", "Second point 0 .")
    assert first.meta == {
        "dataset": str(path), "config": None, "split": "test", "revision": None, "row": 0,
    }


@pytest.mark.parametrize(("builder", "fmt"), [("json", "jsonl"), ("csv", "csv"),
                                              ("parquet", "parquet")])
def test_builder_with_data_files(tmp_path, builder, fmt):
    path = write_rows(tmp_path, fmt)
    examples = load_hf(spec(path=builder, data_files=str(path), split="validation"))
    assert len(examples) == 12 and examples[3].id == "story-3"
    assert examples[3].meta["split"] == "validation"


def test_data_files_by_split(tmp_path):
    path = write_rows(tmp_path, "jsonl")
    examples = load_hf(spec(path="json", data_files={"test": [str(path)]}))
    assert len(examples) == 12
    with pytest.raises(DataError, match="could not load split 'train'"):
        load_hf(spec(path="json", data_files={"test": str(path)}, split="train"))


# ---------------------------------------------------------------- field mapping
def test_list_valued_highlights_and_title(tmp_path):
    rows = [{"doc": "Text.", "points": ["\u2022 One.", "", "  Two. "], "headline": "Head"}]
    path = write_rows(tmp_path, "jsonl", rows)
    fields = FieldMap(id=None, story="doc", highlights="points", title="headline")
    (ex,) = load_hf(spec(path=str(path), fields=fields))
    assert ex.reference_bullets == ("One.", "Two.")
    assert ex.title == "Head"


def test_separator_none_keeps_one_bullet(tmp_path):
    rows = [{"id": "x1", "document": "Doc.", "summary": " One sentence\nsummary. "}]
    path = write_rows(tmp_path, "jsonl", rows)
    fields = FieldMap(story="document", highlights="summary")
    (ex,) = load_hf(spec(path=str(path), fields=fields, highlights_sep=None))
    assert ex.reference_bullets == ("One sentence summary.",)


def test_custom_separator(tmp_path):
    rows = [{"id": "a", "article": "Doc.", "highlights": "One.<q>Two."}]
    path = write_rows(tmp_path, "jsonl", rows)
    (ex,) = load_hf(spec(path=str(path), highlights_sep="<q>"))
    assert ex.reference_bullets == ("One.", "Two.")


def test_no_highlights_column(tmp_path):
    rows = [{"id": "a", "article": "Doc."}]
    path = write_rows(tmp_path, "jsonl", rows)
    (ex,) = load_hf(spec(path=str(path), fields=FieldMap(highlights=None)))
    assert ex.reference_bullets == ()


def test_id_none_uses_original_row_index(tmp_path):
    path = write_rows(tmp_path, "jsonl")
    examples = load_hf(spec(path=str(path), fields=FieldMap(id=None), sample=5, seed=3))
    assert [ex.id for ex in examples] == [str(ex.meta["row"]) for ex in examples]
    assert all(ROWS[int(ex.id)]["article"] == ex.story for ex in examples)


def test_numeric_ids_become_strings(tmp_path):
    rows = [{"id": 7, "article": "Doc.", "highlights": "One."}]
    (ex,) = load_hf(spec(path=str(write_rows(tmp_path, "csv", rows))))
    assert ex.id == "7"


# ---------------------------------------------------------------- sampling
def test_sampling_is_seeded(tmp_path):
    path = str(write_rows(tmp_path, "parquet"))

    def ids(seed):
        return [ex.id for ex in load_hf(spec(path=path, sample=4, seed=seed))]

    assert ids(0) == ids(0)
    assert len(ids(0)) == 4
    assert ids(0) != ids(1)
    assert len(load_hf(spec(path=path, sample=100))) == 12


# ---------------------------------------------------------------- errors
def test_missing_column_suggests_the_closest(tmp_path):
    path = write_rows(tmp_path, "jsonl")
    with pytest.raises(DataError) as info:
        load_hf(spec(path=str(path), fields=FieldMap(story="articel")))
    message = str(info.value)
    assert str(path) in message and "fields.story" in message
    assert "did you mean 'article'?" in message.lower()
    assert "id, article, highlights" in message


def test_non_string_story(tmp_path):
    rows = [{"id": "a", "article": 12, "highlights": "One."}]
    path = write_rows(tmp_path, "jsonl", rows)
    with pytest.raises(DataError, match=r"line 1: 'article' \(fields.story\) is a number, not text"):
        load_hf(spec(path=str(path)))


def test_empty_id_says_how_to_fix(tmp_path):
    rows = [{"id": "", "article": "Doc.", "highlights": "One."}]
    path = write_rows(tmp_path, "jsonl", rows)
    with pytest.raises(DataError, match=r"fields.id: null"):
        load_hf(spec(path=str(path)))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_hf(spec(path=str(tmp_path / "absent.jsonl")))
    with pytest.raises(DataError, match="dataset.data_files: file not found: .*absent.jsonl"):
        load_hf(spec(path="json", data_files=str(tmp_path / "absent.jsonl")))


def test_file_path_with_data_files_is_rejected(tmp_path):
    path = str(write_rows(tmp_path, "jsonl"))
    with pytest.raises(DataError, match="data_files must be left out"):
        load_hf(spec(path=path, data_files=path))


def test_unreachable_hub_is_explained(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'abisee/cnn_dailymail' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError) as info:
        load_hf(spec(path="abisee/cnn_dailymail", name="3.0.0"))
    message = str(info.value)
    assert "abisee/cnn_dailymail (3.0.0)" in message
    assert "hub is not reachable" in message and "path: json" in message


def test_duplicate_ids_are_rejected_by_load_examples(tmp_path):
    rows = [{"id": "same", "article": f"Doc {i}.", "highlights": "One."} for i in range(2)]
    path = write_rows(tmp_path, "jsonl", rows)
    with pytest.raises(DataError, match="duplicate example id 'same'"):
        load_examples(spec(path=str(path)))
    assert [ex.id for ex in load_examples(spec(path=str(path), fields=FieldMap(id=None)))] == [
        "0", "1",
    ]


# ---------------------------------------------------------------- files that cannot be read
EMPTY_FILES = {
    "empty.jsonl": b"", "blank.jsonl": b"\n  \n", "header-only.csv": b"id,article,highlights\n",
    "empty.json": b"[]\n",
}


@pytest.mark.parametrize("name", [*EMPTY_FILES, "empty.parquet"])
def test_file_without_rows_names_the_file_and_field(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".parquet"):
        pd.DataFrame({c: pd.Series([], dtype=str) for c in ("id", "article", "highlights")}
                     ).to_parquet(path)
    else:
        path.write_bytes(EMPTY_FILES[name])
    with pytest.raises(DataError) as info:
        load_hf(spec(path=str(path)))
    assert str(info.value) == (f"dataset.path: {path} has no rows. Add examples to it or fix "
                               "dataset.path.")
    with pytest.raises(DataError, match=r"^dataset.data_files: .* has no rows"):
        load_hf(spec(path=name.rsplit(".", 1)[1].replace("jsonl", "json"),
                     data_files=[str(path)]))


def test_empty_dataset_fails_the_run_with_the_file(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from summcheck.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "none.jsonl").write_text("")
    (tmp_path / "c.yaml").write_text("name: t\ndataset: {source: hf, path: none.jsonl}\n"
                                     "summarizers: [{type: lead}]\n")
    result = CliRunner().invoke(app, ["run", "c.yaml", "--no-progress"])
    assert result.exit_code == 2
    assert f"dataset.path: {tmp_path / 'none.jsonl'} has no rows" in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("results.json"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_non_utf8_file_is_a_clear_error_with_the_line(tmp_path, fmt):
    rows = [{"id": str(i), "article": "Caf\u00e9 owners in Lyon.", "highlights": "x"} for i in range(4)]
    path = tmp_path / f"latin.{fmt}"
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        text = "id,article,highlights\n" + "".join(f"{r['id']},{r['article']},x\n" for r in rows)
    *good, last = text.splitlines(keepends=True)
    path.write_bytes("".join(good).encode("utf-8") + last.encode("latin-1"))  # é is 0xe9 there
    line = 4 if fmt == "jsonl" else 5  # the CSV has a header line
    with pytest.raises(DataError) as info:
        load_hf(spec(path=str(path)))
    message = str(info.value)
    assert message.startswith(f"dataset.path: {path} is not UTF-8 text (line {line} has byte 0xe9)")
    assert "Re-encode it as UTF-8" in message and "iconv -f latin1 -t utf-8" in message


# ---------------------------------------------------------------- shipped configs
@pytest.mark.parametrize("name", ["cnn_dailymail.yaml", "xsum.yaml", "local-jsonl-example.yaml"])
def test_shipped_configs_validate(name):
    run = load_config(CONFIGS / name)
    assert run.dataset.source == "hf"
    assert run.dataset.sample == (None if name.startswith("local") else 100)
    assert [s.type for s in run.summarizers] == ["lead", "textrank", "oracle"]


def test_local_example_config_loads():
    run = load_config(CONFIGS / "local-jsonl-example.yaml")
    examples = load_examples(run.dataset, limit=run.limit)
    assert len(examples) == 3
    assert all(ex.story and ex.reference_bullets for ex in examples)
