"""The report's tables: FRANK and SummEval agreement, detection, every variant, system
means, differences from the shipped score, weak-bullet flags and copy bias.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..stats import ci, partial_corr, resamples, roc_auc, spearman
from .evaluation import Evaluation, fmt
from .variants import BEST_LEXICAL, BY_NAME, MAIN, SHIPPED, label

# Published partial Pearson correlations with Factuality on FRANK's TEST split, all data,
# controlling for the system (Pagnoni et al., 2021). Context only: not our runs, not our rows.
PUBLISHED_FRANK_TEST = {"ROUGE-1": 0.14, "ROUGE-2": 0.12, "QAGS": 0.09, "DAE": 0.18,
                        "FactCC": 0.20, "BERTScore P (vs article)": 0.30}


def frank_table(ev: Evaluation) -> list[str]:
    lines = ["| metric | CNN/DM Pearson | CNN/DM Spearman | XSum Pearson | XSum Spearman | "
             "both Pearson | both Spearman |", "|---|---|---|---|---|---|---|"]
    for name in (v.name for v in ev.variants(MAIN)):
        scores = ev.metric(BY_NAME[name])
        cells = []
        for key in ("cnndm", "xsum", "all"):
            for rank in (False, True):
                value = ev.frank_corr(scores, ev.frank[key], rank)
                cells.append(fmt(value, ci(ev.frank_boot(scores, ev.frank[key], rank))))
        lines.append(f"| {label(name)} | " + " | ".join(cells) + " |")
    for name, value in PUBLISHED_FRANK_TEST.items():
        lines.append(f"| *published, FRANK test split, not ours:* {name} | | | | | "
                     f"*{value:.2f}* | |")
    return lines


def summeval_table(ev: Evaluation) -> list[str]:
    lines = ["| metric | summary level (800) | within system (rank, system partialled out) "
             "| system level Spearman (16 system means) | system level Pearson |",
             "|---|---|---|---|---|"]
    for name in (v.name for v in ev.variants(MAIN)):
        scores = ev.metric(BY_NAME[name])
        boot = ev.se_boot(scores)
        lines.append(f"| {label(name)} | {fmt(ev.se_summary(scores), ci(boot['summary']))} | "
                     f"{fmt(ev.se_within(scores), ci(boot['within']))} | "
                     f"{fmt(ev.se_system(scores), ci(boot['system']))} | "
                     f"{fmt(ev.se_system(scores, pearson=True), ci(boot['system_pearson']))} |")
    return lines


DETECTIONS = [
    ("has an unsupported entity", "entities_unsupported", "EntE < 1",
     lambda lab: lab["EntE"] < 1),
    ("has an unsupported number", "numbers_unsupported", "CircE < 1 or OutE < 1",
     lambda lab: lab["CircE"] < 1 or lab["OutE"] < 1),
]


def detection_table(ev: Evaluation, frank_rows: list[dict]) -> list[str]:
    lines = ["| flag | human label | FRANK | summaries | with error | flagged / error | "
             "flagged / clean | ROC-AUC (count) | balanced accuracy (flag) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for flag, key, human_label, is_error in DETECTIONS:
        for subset in ("cnndm", "xsum", "all"):
            index = ev.frank[subset].index
            counts = np.array([ev.records[i][key] for i in index])
            errors = np.array([is_error(frank_rows[i]["labels"]) for i in index])
            flagged = counts > 0
            tpr, fpr = flagged[errors].mean(), flagged[~errors].mean()
            draws = resamples(len(index), ev.n_boot, ev.seed)
            aucs = [roc_auc(counts[d], errors[d]) for d in draws if 0 < errors[d].sum() < len(d)]
            lines.append(f"| {flag} | {human_label} | {subset} | {len(index)} | {errors.sum()} | "
                         f"{tpr:.1%} | {fpr:.1%} | "
                         f"{roc_auc(counts, errors):.3f} [{ci(aucs)[0]:.2f}, {ci(aucs)[1]:.2f}] | "
                         f"{(tpr + 1 - fpr) / 2:.3f} |")
    return lines


def variants_table(ev: Evaluation) -> list[str]:
    lines = ["| group | variant | formula | FRANK CNN/DM P / S | FRANK XSum P / S | "
             "FRANK both P / S | SummEval summary S | SummEval within-system S | "
             "SummEval system S / P |", "|---|---|---|---|---|---|---|---|---|"]
    for v in ev.variants():
        scores = ev.metric(v)
        cells = [" / ".join(fmt(ev.frank_corr(scores, ev.frank[k], rank)) for rank in (False, True))
                 for k in ("cnndm", "xsum", "all")]
        cells += [fmt(ev.se_summary(scores)), fmt(ev.se_within(scores)),
                  f"{fmt(ev.se_system(scores))} / {fmt(ev.se_system(scores, pearson=True))}"]
        lines.append(f"| {v.group} | {v.name} | {v.formula} | " + " | ".join(cells) + " |")
    return lines


def system_means_table(ev: Evaluation, frank_rows: list[dict]) -> list[str]:
    """Per FRANK system: mean human Factuality and mean scores (what a run would report)."""
    names = [v.name for v in ev.variants([SHIPPED, "share", "content words", "bigrams",
                                          BEST_LEXICAL, "sup-lex", "sup-emb",
                                          "product x sup-lex-min", "product x sup-emb",
                                          "sup-lex+emb", "shipped with support"])]
    lines = ["| FRANK system | summaries | human Factuality | " + " | ".join(names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    systems = dict.fromkeys((r["dataset"], r["system"]) for r in frank_rows)
    scores = {n: ev.metric(BY_NAME[n]) for n in names}
    for dataset, system in systems:
        idx = [i for i, r in enumerate(frank_rows) if r["system"] == system]
        human = np.mean([frank_rows[i]["labels"]["Factuality"] for i in idx])
        lines.append(f"| {dataset} {system} | {len(idx)} | {human:.2f} | "
                     + " | ".join(f"{scores[n][idx].mean():.2f}" for n in names) + " |")
    return lines


def difference_table(ev: Evaluation) -> list[str]:
    """Each variant minus the shipped score, with paired bootstrap intervals."""
    base = ev.metric(BY_NAME[SHIPPED])
    base_boot = {k: ev.frank_boot(base, ev.frank[k], False) for k in ev.frank}
    base_se = ev.se_boot(base)
    lines = ["| variant | FRANK CNN/DM Pearson | FRANK XSum Pearson | FRANK both Pearson | "
             "SummEval summary S | SummEval within-system S | SummEval system S |",
             "|---|---|---|---|---|---|---|"]
    for v in ev.variants():
        if v.name == SHIPPED:
            continue
        scores = ev.metric(v)
        cells = []
        for k in ("cnndm", "xsum", "all"):
            delta = (ev.frank_corr(scores, ev.frank[k], False)
                     - ev.frank_corr(base, ev.frank[k], False))
            cells.append(fmt(delta, ci(ev.frank_boot(scores, ev.frank[k], False) - base_boot[k])))
        boot = ev.se_boot(scores)
        for key, fn in (("summary", ev.se_summary), ("within", ev.se_within),
                        ("system", ev.se_system)):
            cells.append(fmt(fn(scores) - fn(base), ci(boot[key] - base_se[key])))
        lines.append(f"| {v.name} | " + " | ".join(cells) + " |")
    return lines


def flag_share(records: Sequence[dict], method: str) -> float:
    """Share of the scored bullets with a weak-bullet finding."""
    count = sum(r[f"sup_{method}_count"] for r in records)
    return sum(r[f"sup_{method}_weak"] for r in records) / count if count else float("nan")


def flag_table(ev: Evaluation, frank_rows: list[dict], methods: Sequence[str]) -> list[str]:
    """Share of bullets flagged (weak-bullet), by the human verdict on their summary."""
    lines = ["| summaries | n | " + " | ".join(f"{m} flagged" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    groups = []
    for dataset in ("cnndm", "xsum"):
        for ok, verdict in ((True, "Factuality = 1 (no error)"), (False, "Factuality < 1")):
            groups.append((f"FRANK {dataset}, {verdict}", [
                i for i, r in enumerate(frank_rows) if r["dataset"] == dataset
                and (r["labels"]["Factuality"] == 1) == ok]))
    for ok, verdict in ((True, "expert consistency = 5"), (False, "expert consistency < 5")):
        groups.append((f"SummEval, {verdict}", [
            int(ev.se_index[k]) for k, h in enumerate(ev.se_human) if (h == 5) == ok]))
    for title, index in groups:
        records = [ev.records[i] for i in index]
        lines.append(f"| {title} | {len(index)} | "
                     + " | ".join(f"{flag_share(records, m):.2f}" for m in methods) + " |")
    return lines


def copy_bias_table(ev: Evaluation) -> list[str]:
    """Spearman of each score with the summary's novel-bigram share (word bigrams not in
    the story: 1 - bg), over rows and within systems; and the human scores' own."""
    novel = np.array([r["bigrams_missing"] / r["bigrams"] if r["bigrams"] else 0.0
                      for r in ev.records])
    cols = [("FRANK CNN/DM", ev.frank["cnndm"]), ("FRANK XSum", ev.frank["xsum"])]
    lines = ["| score | " + " | ".join(f"{c} rows | {c} within systems" for c, _ in cols)
             + " | SummEval rows | SummEval within systems |", "|---|" + "---|" * 6]

    def cells(values_of) -> list[str]:
        out = []
        for _, sub in cols:
            x, y = values_of(sub.index, sub), novel[sub.index]
            out += [fmt(spearman(x, y)), fmt(partial_corr(x, y, sub.codes, rank=True))]
        x, y = values_of(ev.se_index, None), novel[ev.se_index]
        return out + [fmt(spearman(x, y)), fmt(partial_corr(x, y, ev.se_codes, rank=True))]

    names = [SHIPPED, "bigrams", "content words", "sup-lex", "sup-lex-min", "alt words",
             "alt sup-lex saturated min", "sup-emb", "alt sentence cosine",
             "product x sup-lex-min", "product x sup-emb", "product x saturated min",
             "sup-lex+emb", "shipped with support"]
    for v in ev.variants(names):
        scores = ev.metric(v)
        lines.append(f"| {v.name} | " + " | ".join(cells(lambda idx, _: scores[idx])) + " |")
    lines.append("| *human score (Factuality; SummEval expert consistency)* | " + " | ".join(
        cells(lambda idx, sub: sub.human if sub is not None else ev.se_human)) + " |")
    return lines
