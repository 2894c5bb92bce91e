"""`python -m benchmarks.agreement`: score the rows, compute every table, write the report
(see the package docstring for what each figure is)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import build_checks

from ..data import add_data_argument, load_jsonl
from . import __doc__ as agreement_doc
from .evaluation import Evaluation, frank_subsets
from .levels import calibration_table
from .records import default_spec, score_rows
from .report import OUT, build_report, kept_notes
from .support import support_checks
from .throughput import throughput


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agreement",
                                     description=agreement_doc.splitlines()[0])
    add_data_argument(parser)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-embedding", action="store_true",
                        help="skip the support check's embedding methods, the sentence "
                             "cosines and the layer sweep (no `embedding` extra, or to save "
                             "~20 minutes)")
    args = parser.parse_args()

    frank_rows = load_jsonl(args.data / "frank_valid.jsonl")
    se_rows = load_jsonl(args.data / "summeval_dev.jsonl")
    checks = build_checks(default_spec())
    rouge = RougeMetric(("rouge1", "rouge2"), use_stemmer=True)
    rouge_story = RougeMetric(("rouge2",), use_stemmer=True)
    print(f"scoring {len(frank_rows)} FRANK and {len(se_rows)} SummEval summaries ...",
          file=sys.stderr)
    with_embedding = not args.no_embedding
    support = support_checks(with_embedding)
    encoder = None
    if with_embedding:
        from summcheck.embeddings import get_encoder

        encoder = get_encoder(memo="agreement-sentences")
    records = score_rows(frank_rows + se_rows, checks, rouge, rouge_story, support, encoder)
    assert all(r["consistency"] == r["overall_recomputed"] for r in records)

    frank = frank_subsets(frank_rows)
    ev = Evaluation(records, frank, se_rows,
                    np.arange(len(frank_rows), len(frank_rows) + len(se_rows)),
                    args.bootstrap, args.seed, with_embedding)
    print("throughput ...", file=sys.stderr)
    speed_lines, speed = throughput(frank_rows, args.repeats, with_embedding)
    print("statistics ...", file=sys.stderr)
    calibration_lines = calibration_table(frank_rows, se_rows, checks, support)
    signatures = [c.signature() for c in [*checks, *support.values()]]
    report = build_report(args, ev, frank_rows, signatures, speed_lines, calibration_lines,
                          list(support))
    report += kept_notes(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
