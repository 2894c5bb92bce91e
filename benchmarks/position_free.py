"""One pre-registered variant of the default `consistency`: MiniLM layer-0 piece vectors
without position embeddings (set to zero in the numpy encoder; word piece + token type,
LayerNorm), against the shipped default, scored as default_consistency.py scores it.

agreement_cv.md listed it as not yet tried: with positions, the same word piece gets a
different vector at another place in the bullet than in the story chunk. The choice
between the two is made by 5-fold cross-validation split by article (agreement_cv's
folds and criterion, the mean of the four target figures, on the training articles), and
the out-of-fold figures are reported with 95% bootstrap intervals, beside the copy bias.

    .venv/bin/python -m benchmarks.position_free [--data DIR] [--no-write]

Appends a dated section to benchmarks/results/agreement_cv.md.
"""

from __future__ import annotations

import numpy as np

from . import agreement_cv as A
from .data import dev_script_args
from .default_consistency import checks_for, load_rows, score_rows, variant_table
from .results_file import RESULTS, append_section, header, load_average


def variant_scores(rows: list) -> dict[str, np.ndarray]:
    scores = {"shipped default (positions)": score_rows(rows, checks_for(None))}
    checks = checks_for(None)
    model = checks[2]._aligner.encoder.model()   # the numpy MiniLM the default uses
    saved = model.position.copy()
    try:
        model.position[:] = 0.0
        scores["position-free layer 0"] = score_rows(rows, checks)
    finally:
        model.position[:] = saved
    return scores


def main() -> None:
    args = dev_script_args(__doc__)
    load = load_average()
    rows, sets, novelty = load_rows(args.data)
    scores = variant_scores(rows)
    fold = A.grouped_folds(sets, 5, 0)
    oof, chosen = np.full(len(rows), np.nan), []
    for k in range(5):
        train = fold != k
        chosen.append(max(scores, key=lambda n: A.criterion(sets.figures(scores[n], train))))
        oof[fold == k] = scores[chosen[-1]][fold == k]
    lines = variant_table(sets, {**scores, "out-of-fold choice": oof}, novelty)
    change = np.abs(scores["position-free layer 0"] - scores["shipped default (positions)"])
    lines += ["", f"Folds chose: {', '.join(chosen)}.",
              f"Mean absolute change of a summary's score: {change.mean():.4f}.", ""]
    lines = header("position_free", load, [A.machine_lines()[1]]) + lines
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS / "agreement_cv.md", "Agreement, cross-validated", lines)


if __name__ == "__main__":
    main()
