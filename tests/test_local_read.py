"""summcheck's own reader of local JSONL/JSON/CSV/Parquet files (data/local.py): the same
examples as the `datasets` path, whatever the chunking, never stale, and no `datasets`
(nor pyarrow, for JSON and CSV) needed. No network."""

from __future__ import annotations

import csv
import gzip
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from summcheck.config import FieldMap, HFDataset
from summcheck.data import load_examples
from summcheck.data.hf import load_hf
from summcheck.errors import DataError

STORY = ('Story {i}: the café in Zürich — "naïve", 中文, 😀, a comma, and\na second line. '
         "It was short.")
ROWS = [{"id": f"s-{i}", "article": STORY.format(i=i),
         "highlights": [f"• Point {i}.", "", f"  Second {i} . "], "title": f"Title {i}"}
        for i in range(23)]
for _i in (2, 9):
    del ROWS[_i]["title"]      # missing in some rows (null in a datasets table)
ROWS[5]["title"] = None


def joined(rows: list[dict]) -> list[dict]:
    """The rows with highlights as one string, bullets on their own lines."""
    return [{**r, "highlights": "\n".join(r["highlights"])} for r in rows]


def write(folder: Path, fmt: str, rows: list[dict], name: str = "data") -> Path:
    """`rows` as a file of format `fmt` (jsonl, json, pretty, csv, csv-crlf, parquet)."""
    suffix = {"pretty": "jsonl", "csv-crlf": "csv"}.get(fmt, fmt)
    path = folder / f"{name}.{suffix}"
    if fmt == "jsonl":
        path.write_text("\ufeff" + "".join(json.dumps(r, ensure_ascii=False) + "\n\n"
                                           for r in rows), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "pretty":   # objects spread over lines
        path.write_text("".join(json.dumps(r, ensure_ascii=False, indent=2) + "\n"
                                for r in rows), encoding="utf-8")
    elif fmt.startswith("csv"):
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\r\n" if fmt == "csv-crlf"
                                    else "\n")
            writer.writeheader()
            writer.writerows(rows)
    else:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        pd.DataFrame(rows).to_parquet(path, index=False, row_group_size=5)
    return path


def spec(path, **kwargs) -> HFDataset:
    return HFDataset(source="hf", path=str(path), **kwargs)


def records(examples) -> list[tuple]:
    """Everything an Example carries, meta included (Example equality leaves meta out)."""
    return [(e.id, e.story, e.reference_bullets, e.title, e.meta) for e in examples]


FORMATS = ["jsonl", "json", "pretty", "csv", "csv-crlf", "parquet"]
MAPPINGS = {
    "default": {},
    "ids absent": {"fields": FieldMap(id=None, title="title")},
    "title, sampled": {"fields": FieldMap(title="title"), "sample": 9, "seed": 4},
    "one bullet": {"fields": FieldMap(id=None), "highlights_sep": None, "sample": 30},
}


# ---------------------------------------------------------------- same as datasets
@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_same_examples_as_datasets(tmp_path, fmt, mapping):
    pytest.importorskip("datasets")
    from summcheck.data.hf import load_with_datasets

    rows = ROWS if fmt in ("jsonl", "json", "pretty", "parquet") else joined(ROWS)
    if fmt == "parquet" and mapping == "one bullet":
        rows = joined(ROWS)       # highlights as a string column
    path = write(tmp_path, fmt, rows)
    ours, theirs = load_hf(spec(path, **MAPPINGS[mapping])), \
        load_with_datasets(spec(path, **MAPPINGS[mapping]))
    assert records(ours) == records(theirs)
    assert len(ours) == len(theirs) > 0
    assert "中文" in ours[0].story and ours[0].story.count("\n") == 1


def test_same_examples_as_datasets_over_several_files(tmp_path):
    pytest.importorskip("datasets")
    from summcheck.data.hf import load_with_datasets

    (tmp_path / "parts").mkdir()
    for n, part in enumerate((ROWS[:7], ROWS[7:8], ROWS[8:])):
        write(tmp_path / "parts", "jsonl", part, name=f"part-{n}")
    files = str(tmp_path / "parts" / "*.jsonl")
    for extra in ({}, {"sample": 10, "seed": 1}):
        ours = load_hf(spec("json", data_files=files, split="train", **extra))
        theirs = load_with_datasets(spec("json", data_files=files, split="train", **extra))
        assert records(ours) == records(theirs)
    assert [e.id for e in load_hf(spec("json", data_files=files))] == [r["id"] for r in ROWS]


def test_datasets_is_not_imported_for_local_files(tmp_path):
    """Run in a fresh interpreter, so no other test's import counts."""
    import subprocess

    path = write(tmp_path, "jsonl", ROWS)
    code = ("import sys; from summcheck.config import HFDataset; "
            "from summcheck.data import load_examples; "
            f"ex = load_examples(HFDataset(source='hf', path={str(path)!r})); "
            "print(len(ex), 'datasets' in sys.modules, 'pyarrow' in sys.modules, "
            "'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.split() == ["23", "False", "False", "False"]


# ---------------------------------------------------------------- chunking (metamorphic)
def in_chunks(examples, size: int) -> list:
    return [e for start in range(0, len(examples), size) for e in examples[start:start + size]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_examples_in_chunks_of_1_7_or_all(tmp_path, fmt):
    path = write(tmp_path, fmt, ROWS if fmt in ("jsonl", "json", "parquet") else joined(ROWS))
    for extra in ({}, {"sample": 11, "seed": 2}):
        examples = load_hf(spec(path, **extra))
        whole = records(examples[0:len(examples)])
        assert records(examples) == whole
        assert records(in_chunks(examples, 1)) == whole
        assert records(in_chunks(examples, 7)) == whole
        assert records([examples[i] for i in range(len(examples))]) == whole
        assert records(examples[::-1]) == whole[::-1]


# ---------------------------------------------------------------- examples handed over
class Recorder:
    """A `Tap` that keeps what it is handed."""

    def __init__(self):
        self.taken, self.abandoned = [], False

    def take(self, example):
        self.taken.append(example)

    def abandon(self):
        self.abandoned = True


MARKED = [{**r, "article": r["article"] + (" &amp; <b>bold</b>" if i % 3 == 0 else "")}
          for i, r in enumerate(ROWS)]


@pytest.mark.parametrize("clean_html", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
def test_examples_handed_over_while_indexing_are_the_examples_read(tmp_path, fmt, clean_html):
    """A tap given the examples as a file's rows are checked gets every example a read
    gives, in order, cleaned the same; or, where the index pass had to start a file again
    (a JSON array, objects over several lines), it is told so (abandoned)."""
    rows = MARKED if fmt in ("jsonl", "json", "pretty", "parquet") else joined(MARKED)
    path = write(tmp_path, fmt, rows)
    tap = Recorder()
    examples = load_examples(spec(path, clean_html=clean_html), check_ids=False, tap=tap)
    if fmt in ("json", "pretty"):
        assert tap.abandoned
    else:
        assert not tap.abandoned and records(tap.taken) == records(examples)
        assert any("html_cleaned" in e.meta for e in tap.taken) is clean_html


def test_examples_handed_over_across_files_and_never_when_sampled_or_limited(tmp_path):
    (tmp_path / "parts").mkdir()
    for n, part in enumerate((MARKED[:7], MARKED[7:8], MARKED[8:])):
        write(tmp_path / "parts", "jsonl", part, name=f"part-{n}")
    files = str(tmp_path / "parts" / "*.jsonl")
    tap = Recorder()
    examples = load_examples(spec("json", data_files=files), check_ids=False, tap=tap)
    assert records(tap.taken) == records(examples) and len(examples) == len(MARKED)
    for extra, limit in (({"sample": 10, "seed": 1}, None), ({}, 5)):
        tap = Recorder()
        load_examples(spec("json", data_files=files, **extra), limit=limit, tap=tap)
        assert tap.taken == []


def test_lenient_csv_scan_abandons_the_tap(tmp_path):
    """A CSV whose quoting only the lenient reader takes is scanned twice: the first
    scan's examples must not count."""
    path = tmp_path / "data.csv"
    path.write_text('id,article,highlights\na,"x" y,h\nb,story,h\n', encoding="utf-8")
    tap = Recorder()
    examples = load_examples(spec(path), check_ids=False, tap=tap)
    assert [e.id for e in examples] == ["a", "b"] and tap.abandoned


# ---------------------------------------------------------------- never stale
def rewrite_keeping_mtime(path: Path, text: str) -> None:
    before = os.stat(path)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def swapped(rows: list[dict]) -> list[dict]:
    """The same rows with different stories of the same length (same file size)."""
    return [{**r, "article": r["article"].swapcase()} for r in rows]


@pytest.mark.parametrize("reader", ["own", "datasets"])
def test_file_rewritten_with_its_old_mtime_gives_the_new_rows(tmp_path, reader):
    if reader == "datasets":
        pytest.importorskip("datasets")
        from summcheck.data.hf import load_with_datasets as load
    else:
        load = load_hf
    path = write(tmp_path, "jsonl", ROWS)
    size = path.stat().st_size
    assert [e.story for e in load(spec(path))] == [r["article"] for r in ROWS]
    rewrite_keeping_mtime(path, "".join(json.dumps(r, ensure_ascii=False) + "\n\n"
                                        for r in swapped(ROWS)).replace("{", "\ufeff{", 1))
    assert path.stat().st_size == size
    assert [e.story for e in load(spec(path))] == [r["article"] for r in swapped(ROWS)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_file_changed_during_a_run_stops_it(tmp_path, fmt):
    path = write(tmp_path, fmt, joined(ROWS) if fmt == "csv" else ROWS)
    examples = load_hf(spec(path))
    assert examples[0].id == "s-0"
    time.sleep(0.05)   # past the kernel's timestamp tick, so the ctime moves
    before = os.stat(path)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"s-1", b"S-1"))   # same size, mtime put back
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(DataError) as info:
        examples[1]
    assert str(info.value).startswith(f"dataset.path: {path}: the file changed while this run "
                                      "was reading it")
    path.unlink()
    with pytest.raises(DataError, match="could not be read again during the run"):
        examples[2]


# ---------------------------------------------------------------- without datasets
@pytest.fixture
def without(monkeypatch):
    """Make modules unimportable (`import datasets` raises ImportError)."""
    def hide(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)
    return hide


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_local_files_load_without_datasets_or_pyarrow(tmp_path, without, fmt):
    without("datasets", "pyarrow", "pyarrow.parquet", "torch")
    with pytest.raises(ImportError):
        import datasets  # noqa: F401
    path = write(tmp_path, fmt, joined(ROWS) if fmt == "csv" else ROWS)
    examples = load_examples(spec(path, fields=FieldMap(title="title")))
    assert [e.id for e in examples] == [r["id"] for r in ROWS]
    assert examples[0].reference_bullets == ("Point 0.", "Second 0 .")
    assert examples[0].title == "Title 0" and examples[2].title == ""


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, without):
    path = write(tmp_path, "parquet", ROWS)
    without("pyarrow", "pyarrow.parquet")
    with pytest.raises(DataError) as info:
        load_examples(spec(path))
    assert str(info.value) == (
        f"dataset.path: {path}: reading Parquet needs pyarrow, which is not installed. Install "
        'it with: pip install "pyarrow>=14" (or convert the file to JSON Lines).')


def test_compressed_file_without_datasets_says_what_to_do(tmp_path, without):
    path = tmp_path / "data.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in ROWS))
    without("datasets")
    with pytest.raises(DataError) as info:
        load_examples(spec("json", data_files=str(path)))
    message = str(info.value)
    assert message.startswith(f"dataset.data_files: {path} is compressed")
    assert 'pip install "datasets>=2.19"' in message and f"gunzip -k {path}" in message


def test_compressed_file_is_read_by_datasets_and_never_stale(tmp_path):
    pytest.importorskip("datasets")
    path = tmp_path / "data.jsonl.gz"

    def write_gz(rows):
        text = "".join(json.dumps(r) + "\n" for r in rows)
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))

    write_gz(ROWS)
    assert load_hf(spec("json", data_files=str(path)))[0].story == ROWS[0]["article"]
    before = os.stat(path)
    write_gz(swapped(ROWS))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert load_hf(spec("json", data_files=str(path)))[0].story == swapped(ROWS)[0]["article"]


# ---------------------------------------------------------------- CSV and memory
def test_csv_fields_are_text_as_written(tmp_path):
    """Where pandas (datasets' CSV reader) would turn "007" into 7 and "NA" into null."""
    path = tmp_path / "d.csv"
    path.write_text('id,article,highlights,title\n007,"Doc, one.",NA,None\n'
                    '8,"He said ""hi"".\n\nThen left.",,\n', encoding="utf-8")
    first, second = load_hf(spec(path, fields=FieldMap(title="title")))
    assert (first.id, first.story, first.reference_bullets, first.title) == \
        ("007", "Doc, one.", ("NA",), "None")
    assert (second.id, second.story, second.reference_bullets, second.title) == \
        ("8", 'He said "hi".\n\nThen left.', (), "")


def peak_bytes_reading(path: Path) -> int:
    """Largest Python allocation while loading and reading every example once."""
    tracemalloc.start()
    try:
        examples = load_hf(spec(path))
        assert sum(1 for _ in examples) == len(examples)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_in_the_file_size(tmp_path):
    """A file four times larger costs about the same memory to read: about one chunk of
    1,024 rows is held at a time, and the index keeps two integers per row."""
    def rows(n):
        return [{"id": f"r{i}", "article": f"Row {i}. " + "word " * 500, "highlights": "x"}
                for i in range(n)]

    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small = peak_bytes_reading(write(tmp_path / "small", "jsonl", rows(2048)))
    large_file = write(tmp_path / "large", "jsonl", rows(8192))
    large = peak_bytes_reading(large_file)
    assert large < 1.2 * small, (small, large)
    assert large < large_file.stat().st_size / 3, (large, large_file.stat().st_size)
