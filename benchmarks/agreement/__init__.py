"""Agreement of summcheck's overall consistency score with human factuality judgements.

Usage (from the repository root; writes benchmarks/results/agreement.md):

    .venv/bin/python -m benchmarks.agreement

Options: --data DIR (default $SUMMCHECK_DATA or ../shared/data), --out FILE, --bootstrap N
(resamples, 1000), --seed S (0), --repeats N (throughput repetitions, 3; the median is
reported), --no-embedding.

What it measures, on the same rows:

- The checks run exactly as `summcheck run` runs them: `scoring.build_checks` on a default
  `RunSpec` (the default checks with default settings), scored as the runner scores one
  summarizer's summaries (`scoring.score_batch`, one batch per system) with the story, the
  summary bullets and the reference bullets; the overall score is the `consistency` value
  of `scoring.overall_consistency` (the product of the checks' factors against the story).
  Summary and reference texts are split into bullets as the precomputed summarizer splits a
  text (`text.split_bullets`), but without the max_bullets=4 cap, so the whole summary the
  humans judged is checked (the cap would drop sentences of a few summaries).
- FRANK (frank_valid.jsonl; CNN/DM, XSum, and both): partial correlation with the human
  `Factuality` score controlling for the system, as FRANK's own evaluation does: both the
  metric and the human score are regressed (least squares) on one-hot system indicators
  (plus a dataset indicator for "both"; systems are nested in datasets, so it changes
  nothing) and the residuals are correlated. Pearson on the values; Spearman = the same on
  ranks (rank-transform over the rows first, then partial out). FRANK's script instead
  takes the Spearman correlation of the value residuals; we rank first so that the figure
  is a rank statistic throughout.
- FRANK detection: ROC-AUC (summaries ranked by the number of unsupported mentions) and
  balanced accuracy of the flag "has an unsupported entity" against EntE < 1, and of
  "has an unsupported number" against CircE < 1 or OutE < 1.
- SummEval (summeval_dev.jsonl): Spearman correlation with the mean expert consistency
  score over all 800 summaries, within systems (rank, then partial out the system, as for
  FRANK), and at the system level (means of the 16 systems over the 50 documents).
- Reference point: ROUGE-1 and ROUGE-2 F (summcheck's RougeMetric, use_stemmer=True,
  against the dataset's `reference`), with the same statistics.
- Bootstrap: percentile 95% intervals from `--bootstrap` resamples of the rows (of the
  documents for SummEval's system level), seeded; the same resamples for every metric, so
  differences between metrics are paired.
- Variants: other ways to combine the two checks, and cheap lexical signals of source
  support (content words and word bigrams of the summary found in the story), alone and
  combined with the checks; defined in VARIANTS below, none with a tuned constant.
- The support check (consistency/support.py; `checks: {support: ...}`, off by default;
  when configured, `consistency` multiplies in its support_precision), the three methods
  (lexical, embedding, lexical+embedding) run as summcheck run would run them (one batch
  per system; the two embedding methods share one encoder memo), alone and multiplied into
  (or otherwise combined with) nums x ents, and per-bullet combinations of the lexical and
  embedding scores; "shipped with support" is overall_consistency with the lexical+embedding
  check configured; two calibration probes (powers of the product); a MiniLM layer sweep
  (word-piece precision at every layer, with and without IDF weights from the story's
  sentences, against the story sentence by sentence or as one text: `layer_sweep`); the
  per-bullet alternatives tried while designing it (content words, adjacent content
  bigrams, words and pairs pooled, MiniLM sentence cosine), each as the mean and the min
  over bullets. Its bias towards copying: Spearman with the novel-bigram share; the share
  of bullets it flags by human verdict; its levels on faithful abstractive text.
  `--no-embedding` leaves out the embedding method and the sentence cosines.
- Throughput on the 375 FRANK CNN/DM rows: story NER (once per story, batched), then the
  checks of every summary as summcheck run calls them; reported separately and in total;
  the support check on the same rows.

The code, by job: records.py (the rows scored as summcheck run scores them, one feature
record per row; lexical.py, support.py and sweep.py compute its lexical, support-check and
MiniLM-layer parts), variants.py (the candidate scores), evaluation.py (their FRANK and
SummEval figures and bootstrap draws; the formulas are benchmarks.stats'), tables.py,
levels.py and throughput.py (the report's tables), report.py (agreement.md itself) and
__main__.py (the run).

Everything here was developed on these development files only.
"""

