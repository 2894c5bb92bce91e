"""Where the evaluation data lives, and reading it.

The data is the team's shared development copy (FRANK, SummEval, REALSumm; see its
README); benchmarks point at it and never copy it into the project. The folder is, in
order: a script's `--data` argument, the SUMMCHECK_DATA environment variable (which the
tests read too), or ../shared/data beside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ENV_VAR = "SUMMCHECK_DATA"
BESIDE_REPOSITORY = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_dir(arg: Path | str | None = None) -> Path:
    """The data folder: `arg` when given, else $SUMMCHECK_DATA, else ../shared/data."""
    if arg is not None:
        return Path(arg)
    return Path(os.environ.get(ENV_VAR) or BESIDE_REPOSITORY)


DATA = data_dir()


def add_data_argument(parser: argparse.ArgumentParser, file: str | None = None) -> None:
    """`--data`: the data folder, or with `file` that file in it (scripts that read one)."""
    default = DATA / file if file else DATA
    what = f"the {file} file" if file else "the data folder"
    parser.add_argument("--data", type=Path, default=default,
                        help=f"{what} (default: from ${ENV_VAR} or ../shared/data: {default})")


def dev_script_args(doc: str) -> argparse.Namespace:
    """--data and --no-write, the arguments of the scripts that score the dev rows once
    and append a section to a results file; `doc`'s first line describes the script."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    add_data_argument(parser)
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    return parser.parse_args()


def load_jsonl(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def require(path: Path) -> Path:
    """`path` when it exists; else exit naming it (the benchmarks need the shared data)."""
    if not Path(path).exists():
        sys.exit(f"{path} not found: point --data or ${ENV_VAR} at the shared data folder")
    return Path(path)
