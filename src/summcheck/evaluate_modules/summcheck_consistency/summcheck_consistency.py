"""summcheck's number and entity checks with the overall consistency score, as a Hugging
Face `evaluate` module (the entity check needs spaCy: pip install "summcheck[checks]")."""

import evaluate

from summcheck.consistency.numbers import NumberCheck
from summcheck.evaluate_modules import (
    BULLETS_DOC, default_support_check, entity_check, findings, labels_tuple, run_check,
    string_info, summarize,
)
from summcheck.scoring import RULES_SIGNATURE, overall_consistency

_DESCRIPTION = """\
Consistency of summaries with their source stories: summcheck's NumberCheck, EntityCheck
and SupportCheck on every summary, plus "consistency": numbers precision x entities
precision against the story (each 1.0 when a summary mentions none of that kind) x the
story's support of each bullet and how little the bullets are stitched, as a default
`summcheck run` scores it (support method auto: aligned with the MiniLM weights, else
lexical; the method is in the signature).
"""

_CITATION = """\
@software{summcheck,
    title = "summcheck: summarization and fact-check evaluation harness",
    year = "2025",
}
"""

_KWARGS_DESCRIPTION = BULLETS_DOC + """\
references: one reference string per prediction (bullets one per line); "" for none.
sources: one source story per prediction.
checks: which checks to run, default ("numbers", "entities", "support"), as a run's
    default config; ("numbers",) needs no spaCy, ("numbers", "entities") is a run with
    `support: null`.
tolerance: the number check's relative tolerance (default 0.02).
labels, model: the entity check's spaCy labels and pipeline (see summcheck_entities).
use_aggregator: True (default) returns means over the examples; False one list per key.
return_findings: also return "findings", per example a list of unsupported mentions.
Returns: consistency; the numbers_* and entities_* scores of the checks run; "signature".
Example:
    >>> consistency = evaluate.load(summcheck.evaluate_modules.path("summcheck_consistency"))
    >>> consistency.compute(predictions=["- Obama met Putin 3 times."], references=[""],
    ...                     sources=["Biden met Putin twice."])["consistency"]
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SummcheckConsistency(evaluate.Metric):
    def _info(self):
        return string_info(_DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION,
                           "predictions", "references", "sources")

    def _compute(self, predictions, references, sources,
                 checks=("numbers", "entities", "support"), tolerance=0.02, labels=None,
                 model="en_core_web_sm", use_aggregator=True, return_findings=False):
        unknown = set(checks) - {"numbers", "entities", "support"}
        if isinstance(checks, str) or unknown or not checks:
            raise ValueError(f"checks must be a non-empty list out of numbers, entities, "
                             f"support; got {checks!r}")
        run = []
        if "numbers" in checks:
            run.append(NumberCheck(tolerance=tolerance))
        if "entities" in checks:
            run.append(entity_check(labels_tuple(labels), model))
        if "support" in checks:
            run.append(default_support_check())
        per_check = [run_check(check, predictions, sources, references) for check in run]
        per_example = list(zip(*per_check))
        rows = [{"consistency": overall_consistency(results),
                 **{k: v for r in results for k, v in r.scores.items()}}
                for results in per_example]
        out = summarize(rows, use_aggregator, predictions)
        if return_findings:
            out["findings"] = [findings(results) for results in per_example]
        # the checks' signatures and how they make `consistency`, as a run's results.json
        return {**out, "signature": " + ".join([*(check.signature() for check in run),
                                                 RULES_SIGNATURE])}
