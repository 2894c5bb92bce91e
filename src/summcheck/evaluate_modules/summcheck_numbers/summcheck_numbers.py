"""summcheck's numeric consistency check as a Hugging Face `evaluate` module."""

import evaluate

from summcheck.consistency.numbers import NumberCheck
from summcheck.evaluate_modules import BULLETS_DOC, string_info, findings, run_check, summarize

_DESCRIPTION = """\
Numeric consistency of summaries with their source stories, by summcheck's NumberCheck:
every number in a summary bullet (counts, money, percents, fractions, years, dates, times,
ranges, "over/about" qualifiers) must be supported by a number in the story, exactly or
as a rounded form, or within a relative tolerance for large or loosely written values.
"""

_CITATION = """\
@software{summcheck,
    title = "summcheck: summarization and fact-check evaluation harness",
    year = "2025",
}
"""

_KWARGS_DESCRIPTION = BULLETS_DOC + """\
sources: one source story per prediction.
tolerance: relative tolerance for large or loosely written values (default 0.02).
use_aggregator: True (default) returns means over the examples; False one list per key.
return_findings: also return "findings", per example a list of unsupported numbers
    (bullet index, span, normalized value, closest story numbers, reason).
Returns: numbers_precision (share of the summary's numbers the story supports; 1.0 when
    it has none), numbers_count, numbers_unsupported; and "signature".
Example:
    >>> numbers = evaluate.load(summcheck.evaluate_modules.path("summcheck_numbers"))
    >>> numbers.compute(predictions=["- 12 people died."],
    ...                 sources=["Ten people died on Monday."])["numbers_precision"]
    0.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SummcheckNumbers(evaluate.Metric):
    def _info(self):
        return string_info(_DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION,
                           "predictions", "sources")

    def _compute(self, predictions, sources, tolerance=0.02, use_aggregator=True,
                 return_findings=False):
        check = NumberCheck(tolerance=tolerance)
        results = run_check(check, predictions, sources)
        out = summarize([r.scores for r in results], use_aggregator, predictions)
        if return_findings:
            out["findings"] = [findings([r]) for r in results]
        return {**out, "signature": check.signature()}
