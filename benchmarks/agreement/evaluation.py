"""The FRANK and SummEval figures of a score: partial correlations with the human
judgements (system partialled out), SummEval at summary, within-system and system level,
and their bootstrap draws (the same resamples for every variant, so differences are
paired). The formulas themselves are benchmarks.stats'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..stats import (corr, group_residuals, ols_residuals, one_hot, partial_corr, resamples,
                     spearman)
from .variants import BY_NAME, VARIANTS, Variant


@dataclass
class Subset:
    """Rows of one evaluation set with the human score and the groups to partial out."""
    name: str
    index: np.ndarray            # positions in the records list
    human: np.ndarray
    codes: np.ndarray            # one integer per combination of the covariates' levels


def make_subset(name: str, index: list[int], human: list[float],
                covariates: list[Sequence[str]]) -> Subset:
    """Covariates must be nested (systems within datasets): then regressing on all their
    one-hot indicators equals subtracting each innermost group's mean. Checked here."""
    cells = list(zip(*covariates))
    levels = {cell: i for i, cell in enumerate(sorted(set(cells)))}
    codes = np.array([levels[c] for c in cells])
    design = np.hstack([np.ones((len(index), 1))] + [one_hot(c) for c in covariates])
    probe = np.random.default_rng(0).normal(size=len(index))
    assert np.allclose(ols_residuals(probe, design), group_residuals(probe, codes))
    return Subset(name, np.asarray(index), np.asarray(human, float), codes)


def frank_subsets(frank_rows: list[dict]) -> dict[str, Subset]:
    """FRANK's CNN/DM rows, XSum rows and both, with the system (and, for both, the
    dataset: systems are nested in datasets, so it changes nothing) to partial out."""
    frank = {}
    for key, datasets in (("cnndm", {"cnndm"}), ("xsum", {"xsum"}), ("all", {"cnndm", "xsum"})):
        index = [i for i, r in enumerate(frank_rows) if r["dataset"] in datasets]
        covariates = [[frank_rows[i]["system"] for i in index]]
        if key == "all":
            covariates.append([frank_rows[i]["dataset"] for i in index])
        frank[key] = make_subset(key, index, [frank_rows[i]["labels"]["Factuality"]
                                              for i in index], covariates)
    return frank


@dataclass
class Evaluation:
    records: list[dict]
    frank: dict[str, Subset]            # cnndm, xsum, all
    se_rows: list[dict]
    se_index: np.ndarray
    n_boot: int
    seed: int
    with_embedding: bool = True

    def metric(self, variant: Variant) -> np.ndarray:
        return np.array([variant.score(r) for r in self.records])

    def variants(self, names: Sequence[str] | None = None) -> list[Variant]:
        """VARIANTS (or those named), without the embedding ones when they were not run."""
        chosen = VARIANTS if names is None else [BY_NAME[n] for n in names]
        return [v for v in chosen if self.with_embedding or not v.embedding]

    # --- FRANK partial correlations
    def frank_corr(self, scores: np.ndarray, subset: Subset, rank: bool,
                   idx: np.ndarray | None = None) -> float:
        pick = subset.index if idx is None else subset.index[idx]
        human = subset.human if idx is None else subset.human[idx]
        codes = subset.codes if idx is None else subset.codes[idx]
        return partial_corr(scores[pick], human, codes, rank)

    def frank_boot(self, scores: np.ndarray, subset: Subset, rank: bool) -> np.ndarray:
        draws = resamples(len(subset.index), self.n_boot, self.seed)
        return np.array([self.frank_corr(scores, subset, rank, d) for d in draws])

    # --- SummEval
    def __post_init__(self) -> None:
        self.se_human = np.array([r["expert"]["consistency"] for r in self.se_rows])
        systems = [r["system"] for r in self.se_rows]
        self.se_codes = make_subset("summeval", list(range(len(systems))), self.se_human,
                                    [systems]).codes
        docs = sorted({r["doc_id"] for r in self.se_rows})
        cell = {(r["system"], r["doc_id"]): i for i, r in enumerate(self.se_rows)}
        # row positions as a (system, document) grid, for system means over documents
        self.se_grid = np.array([[cell[s, d] for d in docs] for s in sorted(set(systems))])

    def se_summary(self, scores: np.ndarray, idx: np.ndarray | None = None) -> float:
        x, y = scores[self.se_index], self.se_human
        if idx is not None:
            x, y = x[idx], y[idx]
        return spearman(x, y)

    def se_within(self, scores: np.ndarray, idx: np.ndarray | None = None) -> float:
        x, y, codes = scores[self.se_index], self.se_human, self.se_codes
        if idx is not None:
            x, y, codes = x[idx], y[idx], codes[idx]
        return partial_corr(x, y, codes, rank=True)

    def se_system(self, scores: np.ndarray, doc_draw: np.ndarray | None = None,
                  pearson: bool = False) -> float:
        """Spearman (or Pearson) over the 16 system means; `doc_draw` resamples documents."""
        grid = self.se_grid if doc_draw is None else self.se_grid[:, doc_draw]
        x = scores[self.se_index][grid].mean(axis=1)
        y = self.se_human[grid].mean(axis=1)
        return corr(x, y) if pearson else spearman(x, y)

    def se_boot(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        draws = resamples(len(self.se_rows), self.n_boot, self.seed)
        doc_draws = resamples(self.se_grid.shape[1], self.n_boot, self.seed)
        return {"summary": np.array([self.se_summary(scores, d) for d in draws]),
                "within": np.array([self.se_within(scores, d) for d in draws]),
                "system": np.array([self.se_system(scores, d) for d in doc_draws]),
                "system_pearson": np.array([self.se_system(scores, d, pearson=True)
                                            for d in doc_draws])}


def fmt(value: float, interval: tuple[float, float] | None = None) -> str:
    if value != value:
        return "n/a"
    text = f"{value:+.3f}"
    return f"{text} [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else text
