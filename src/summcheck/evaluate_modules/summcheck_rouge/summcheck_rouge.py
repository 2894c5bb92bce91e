"""summcheck ROUGE as a Hugging Face `evaluate` module (load it from this folder)."""

import datasets
import evaluate

from summcheck.evaluate_modules import BULLETS_DOC, reference_bullets, summarize, to_bullets
from summcheck.metrics.rouge import RougeMetric

_DESCRIPTION = """\
ROUGE-1/2/L/Lsum over highlight bullets, computed by summcheck's RougeMetric with
google-research's rouge_score. Bullets are joined by "\\n", so rougeLsum is the
summary-level LCS over bullets. With several references per prediction each ROUGE type
takes the reference with the best F. Stemming is ON by default (as ROUGE-1.5.5 -m in
papers; Hugging Face's "rouge" defaults to off). Aggregates are plain means.
"""

_CITATION = """\
@inproceedings{lin-2004-rouge,
    title = "{ROUGE}: A Package for Automatic Evaluation of Summaries",
    author = "Lin, Chin-Yew",
    booktitle = "Text Summarization Branches Out",
    year = "2004",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/W04-1013",
}
"""

_KWARGS_DESCRIPTION = BULLETS_DOC + """\
references: one reference string per prediction (bullets one per line, as predictions),
    or a list of reference strings per prediction (multiple references). Every prediction
    needs a non-empty reference.
rouge_types: subset of ("rouge1", "rouge2", "rougeL", "rougeLsum"); default all four.
use_stemmer: Porter stemming (default True).
use_aggregator: True (default) returns means; False returns one list per key.
Returns: for each type t, t (F-measure, as Hugging Face's "rouge"), t_precision, t_recall;
    and "signature" (tokenizer, stemming, bullet join, multi-reference rule, versions).
Example:
    >>> rouge = evaluate.load(summcheck.evaluate_modules.path("summcheck_rouge"))
    >>> rouge.compute(predictions=["- The cat sat.\\n- It slept."],
    ...               references=["The cat sat down.\\nIt slept."])["rougeLsum"]
"""


def _hf_names(scores, types):
    """summcheck's {"rouge1_f", "rouge1_p", "rouge1_r"} -> {"rouge1", "rouge1_precision",
    "rouge1_recall"}, the F-measures first as in Hugging Face's "rouge"."""
    out = {t: scores[f"{t}_f"] for t in types}
    for t in types:
        out[f"{t}_precision"] = scores[f"{t}_p"]
        out[f"{t}_recall"] = scores[f"{t}_r"]
    return out


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SummcheckRouge(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Sequence(datasets.Value("string"))}),
                datasets.Features({"predictions": datasets.Value("string"),
                                   "references": datasets.Value("string")}),
            ],
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(self, predictions, references, rouge_types=None, use_stemmer=True,
                 use_aggregator=True):
        if isinstance(rouge_types, str):     # its letters were taken as the types
            raise ValueError(f"rouge_types: a list, e.g. ['rouge1', 'rougeLsum'], not the "
                             f"string {rouge_types!r}")
        if not isinstance(use_stemmer, bool):   # "false" is true
            raise ValueError(f"use_stemmer: True or False, not {use_stemmer!r}")
        metric = RougeMetric(rouge_types or ("rouge1", "rouge2", "rougeL", "rougeLsum"),
                             use_stemmer=use_stemmer)
        rows = []
        for i, (pred, refs) in enumerate(zip(predictions, references, strict=True)):
            refs = [refs] if isinstance(refs, str) else refs
            scores = metric.score(prediction=to_bullets(pred),
                                  references=[reference_bullets(r) for r in refs])
            if not scores:
                raise ValueError(f"prediction {i} has no non-empty reference (a reference "
                                 "needs a line with a letter or digit; \"...\" is none)")
            rows.append(_hf_names(scores, metric.types))
        return {**summarize(rows, use_aggregator, predictions), "signature": metric.signature()}
