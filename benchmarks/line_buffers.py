"""File buffers for JSON Lines rows (issue 17.1): CPU time a row of reading a data file
line by line, and of writing run-folder rows, with Python's default buffer (8 KB) and with
the buffers summcheck uses (`fastjson.LINE_BUFFER` to read, `artifacts._WRITE_BUFFER` to
write), alternated in one process.

Workload: benchmarks.overhead's REALSumm data file (its `write_workload`, --pairs rows of
about 4 KB: id, story, highlights), written to a temporary folder; the rows written are its
rows as examples.jsonl holds them (`artifacts._line` of `Example.to_dict()`).

    .venv/bin/python -m benchmarks.line_buffers [--pairs 11490] [--rounds 7] [--no-write]

Appends a dated section to benchmarks/results/overhead.md: per variant the median and the
fastest round, in microseconds of CPU time (user + sys) a row.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from summcheck import artifacts, fastjson
from summcheck.types import Example

from . import results_file
from .overhead import RESULTS, write_workload

DEFAULT = -1   # open()'s buffering for "the default" (io.DEFAULT_BUFFER_SIZE, 8 KB)


def cpu() -> float:
    return time.process_time()   # user + sys of this process, nanosecond clock


def read_lines(path: Path, buffering: int) -> int:
    rows = 0
    with path.open("rb", buffering=buffering) as handle:
        for _ in handle:
            rows += 1
    return rows


def write_rows(path: Path, lines: list[bytes], buffering: int) -> int:
    with path.open("wb", buffering=buffering) as handle:
        for line in lines:
            handle.write(line)
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=11490)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="summcheck-buffers-") as tmp:
        folder = Path(tmp)
        write_workload(folder, args.pairs)
        data = folder / "data.jsonl"
        lines = [artifacts._line(Example(id=r["id"], story=r["story"],
                                         reference_bullets=tuple(r["highlights"])).to_dict())
                 for r in map(fastjson.loads, data.read_bytes().splitlines())]
        variants = {
            "read, default buffer": lambda: read_lines(data, DEFAULT),
            f"read, {fastjson.LINE_BUFFER >> 10} KB": lambda: read_lines(data, fastjson.LINE_BUFFER),
            "write, default buffer": lambda: write_rows(folder / "out", lines, DEFAULT),
            f"write, {artifacts._WRITE_BUFFER >> 10} KB":
                lambda: write_rows(folder / "out", lines, artifacts._WRITE_BUFFER),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        load_start = results_file.load_average()
        for _ in range(args.rounds):
            for name, run in variants.items():
                start = cpu()
                rows = run()
                times[name].append((cpu() - start) / rows * 1e6)
    lines_out = results_file.header("line_buffers", load_start, [
        f"- workload: {args.pairs} REALSumm rows (about {data_size(lines):.1f} KB each as "
        f"examples.jsonl rows); {args.rounds} rounds alternated; file buffers"])
    lines_out += [
        "| variant | CPU us a row, median | fastest round | rounds |",
        "|---|---:|---:|---|",
    ]
    for name, values in times.items():
        lines_out.append(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
                         f"{', '.join(f'{v:.2f}' for v in values)} |")
    print("\n".join(lines_out))
    if not args.no_write:
        results_file.append_section(RESULTS, "Harness overhead", lines_out)


def data_size(lines: list[bytes]) -> float:
    return sum(map(len, lines)) / len(lines) / 1024


if __name__ == "__main__":
    main()
