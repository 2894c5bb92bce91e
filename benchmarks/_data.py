"""Helpers shared by the benchmarks: where the evaluation data lives, reading it, ROC-AUC.

The data is the team's shared development copy (../shared/data next to the repository,
see its README); benchmarks point at it and never copy it into the project.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from scipy.stats import rankdata

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_jsonl(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """Mann-Whitney AUC: the chance that a positive scores above a negative, ties half."""
    ranks = rankdata(scores)
    n_pos = sum(positives)
    n_neg = len(positives) - n_pos
    rank_sum = sum(r for r, p in zip(ranks, positives) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def append_section(results: Path, title: str, lines: Sequence[str]) -> None:
    """Append one dated section (`lines`) to a results file, starting the file with its
    `title` and a line naming the script when it does not exist yet."""
    with Path(results).open("a", encoding="utf-8") as fh:
        if fh.tell() == 0:
            fh.write(f"# {title}\n\nAppended by benchmarks/{Path(sys.argv[0]).name}; see its "
                     "docstring for the workloads.\n\n")
        fh.write("\n".join(lines) + "\n")
