"""One pre-registered variant of the relation check (issue 15 point 4: ROC-AUC >= 0.65
against FRANK dev EntE): bullet arcs whose predicate the story never uses, judged by the
roles the story gives their entity.

Hypothesis, written before the run: many of FRANK's entity errors put an article's
entity in a role the article never gives it, behind a paraphrased predicate ("X sacked
Y" where the story has "Y dismissed X"). The check matches predicates by lemma, so such an
arc is "novel" (its head is not in the story) and tells nothing. The variant ("profile
heads") re-judges an arc only when all of these hold: its verdict is "novel", its head is
in no story sentence, its role is subject or object ("subj" or "obj"; a possible passive
is left alone), and its child agrees (`names_agree`) with the child of story arcs of those
two roles whose child is a name of its story sentence. Then:
- "supported" when one of those story arcs gives the child the same role;
- "conflict" when they give it only the other role.
Everything else is judged as the check judges it today.

Measured once, on relations_frank's rows, folds, variants and statistics:
- the out-of-fold choice among relations_frank's variants (today's heads: it reproduces
  relations_frank.md's figure);
- the out-of-fold choice among those variants and the same variants with profile heads
  (the honest figure for offering the option: the folds may take either);
- each heads mode at the check's default setting (count).
EntE and RelE, on CNN/DM, XSum and both; 95% intervals from 1000 bootstrap resamples of
whole articles. Nothing ships unless the second figure beats the first on both sets.

    .venv/bin/python -m benchmarks.relation_profiles [--data DIR] [--no-write]

Appends a dated section to benchmarks/results/relations_frank.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np

from summcheck.consistency import relations
from summcheck.consistency.relation_arcs import last_word, names_agree

from . import relations_frank as R
from . import results_file

_ROLES = ("subj", "obj")
_judge = relations.judge
_profiles: dict[int, tuple[object, dict]] = {}


def role_profile(story) -> dict[str, list]:
    """Story arcs of subject or object role whose child is a name of its sentence, by the
    child's last word (kept per story object)."""
    kept = _profiles.get(id(story))
    if kept is not None and kept[0] is story:
        return kept[1]
    names, out = story.analysis.names, {}
    for arc in story.analysis.arcs:
        if arc.role in _ROLES and arc.child in names[arc.sent]:
            out.setdefault(last_word(arc.child), []).append(arc)
    _profiles[id(story)] = (story, out)
    return out


def profile_judge(arc, bullet, story, roles):
    """`relations.judge`, with a novel-head subject or object re-judged by its child's
    roles in the story (module docstring)."""
    outcome, span = _judge(arc, bullet, story, roles)
    if outcome != "novel" or arc.role not in _ROLES:
        return outcome, span
    head = last_word(arc.head)
    if any(head in terms for terms in story.analysis.terms):
        return outcome, span
    others = [o for o in role_profile(story).get(last_word(arc.child), ())
              if names_agree(arc.child, o.child)]
    same = [o for o in others if o.role == arc.role]
    if same:
        return "supported", relations._sentence_span(story, same[0].sent)
    if others:
        return "conflict", relations._sentence_span(story, others[0].sent)
    return outcome, span


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    args.folds, args.bootstrap, args.seed = 5, 1000, 0
    load = results_file.load_average()
    wanted = ["cnndm", "xsum"]
    rows = R.frank_rows(args.data, wanted)
    with tempfile.TemporaryDirectory() as folder:
        exact = R.variant_scores(rows, Path(folder))
        with mock.patch.object(relations, "judge", profile_judge):
            profile = R.variant_scores(rows, Path(folder))
    both = {**{("exact", *k): v for k, v in exact.items()},
            **{("profile", *k): v for k, v in profile.items()}}
    d = R.default_index()
    lines = results_file.header("relation_profiles", load)[:-1] + [
        "", "| label <1 | data | n | errors | scores | ROC-AUC [95% CI] | within-system AUC |",
        "|---|---|---|---|---|---|---|"]
    for name, idx in R.dataset_subsets(rows, wanted):
        sub = [rows[i] for i in idx]
        groups, systems = [r["article"] for r in sub], [r["system"] for r in sub]
        folds = R.article_folds(sub, args.folds, args.seed)
        for label in R.LABELS:
            errors = np.array([r["labels"][label] < 1 for r in sub])
            oof_exact, _ = R.cross_validated({k: v[idx] for k, v in exact.items()},
                                             errors, folds)
            oof_both, chosen = R.cross_validated({k: v[idx] for k, v in both.items()},
                                                 errors, folds)
            for what, s in (("out-of-fold choice, today's heads", oof_exact),
                            ("out-of-fold choice, either heads", oof_both),
                            ("default setting (count), today's heads", exact[d, "count"][idx]),
                            ("default setting (count), profile heads",
                             profile[d, "count"][idx])):
                auc, low, high = R.bootstrap_auc(s, errors, groups, args.bootstrap, args.seed)
                lines.append(f"| {label} | {name} | {len(sub)} | {int(errors.sum())} | {what}"
                             f" | {auc:.3f} [{low:.3f}, {high:.3f}] | "
                             f"{R.within_system_auc(s, errors, systems):.3f} |")
            lines.append(f"| {label} | {name} | | | folds chose (either heads) | " + "; ".join(
                f"{c[0]}/{R.describe(c[1:])}" for c in chosen) + " | |")
    changed = int((exact[d, "count"] != profile[d, "count"]).sum())
    lines += ["", f"Summaries whose default-setting count differs between the two heads "
              f"modes: {changed} of {len(rows)}.", ""]
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(R.RESULTS, "Relation check vs FRANK human labels", lines)


if __name__ == "__main__":
    main()
