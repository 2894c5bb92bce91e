"""The benchmark suite's shared code: the data folder's precedence, the statistics every
agreement figure is computed with, and the results-file writer."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

# The repository root first: pysbd installs a top-level package also named `benchmarks`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import data, results_file, stats  # noqa: E402


def test_data_folder_comes_from_the_argument_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    assert data.data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.data_dir() == tmp_path / "env"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.data_dir() == data.BESIDE_REPOSITORY


def test_partial_correlation_equals_the_regression_on_group_indicators():
    rng = np.random.default_rng(0)
    systems = rng.choice(["a", "b", "c", "d"], size=200)
    x = rng.normal(size=200) + (systems == "a")
    y = x + rng.normal(size=200) + 2 * (systems == "b")
    design = np.hstack([np.ones((200, 1)), stats.one_hot(list(systems))])
    expected = np.corrcoef(stats.ols_residuals(x, design), stats.ols_residuals(y, design))[0, 1]
    got = stats.partial_corr(x, y, stats.group_codes(systems), rank=False)
    assert got == pytest.approx(expected, abs=1e-12)
    # the system effects are strong here: partialling them out changes the figure
    assert abs(stats.corr(x, y) - got) > 0.01


def test_rank_statistics_and_auc():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert stats.spearman(x, x ** 3) == pytest.approx(1.0)
    assert np.isnan(stats.spearman(x, np.ones(4)))          # constant side: no correlation
    # 3 of the 4 positive-negative pairs are ordered, the tie counts half: (3 + 0.5) / 4
    assert stats.roc_auc([0.9, 0.5, 0.5, 0.1], [True, True, False, False]) == 0.875


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=2, max_size=40))
def test_auc_is_the_share_of_ordered_positive_negative_pairs_ties_half(rows):
    scores, positives = [float(s) for s, _ in rows], [p for _, p in rows]
    assume(0 < sum(positives) < len(positives))
    pairs = [(s, t) for s, p in zip(scores, positives) if p
             for t, q in zip(scores, positives) if not q]
    expected = sum(1.0 if s > t else 0.5 if s == t else 0.0 for s, t in pairs) / len(pairs)
    assert stats.roc_auc(scores, positives) == pytest.approx(expected)


def test_group_bootstrap_moves_a_group_as_a_whole():
    groups = ["a", "a", "b", "b", "b"]
    sizes = stats.group_bootstrap(lambda idx: len(idx), groups, 50, seed=1)
    # two groups drawn: 2+2, 2+3 or 3+3 rows, never a split group
    assert set(sizes) <= {4, 5, 6} and len(sizes) == 50
    low, high = stats.ci([float(s) for s in sizes])
    assert 4 <= low <= high <= 6


def test_a_section_starts_the_file_with_its_title_once(tmp_path):
    path = tmp_path / "x.md"
    lines = results_file.header("x", results_file.load_average(), ["- detail"])
    assert lines[0].startswith("## ") and "- detail" in lines
    results_file.append_section(path, "Title", lines + ["| a |"])
    results_file.append_section(path, "Title", ["## second"])
    text = path.read_text()
    assert text.count("# Title") == 1 and text.index("| a |") < text.index("## second")
