"""summcheck's benchmark suite: each module measures one thing and writes its figures,
with the date, commit, machine, load and command, to benchmarks/results/<name>.md.

Run a benchmark from the repository root as a module:

    .venv/bin/python -m benchmarks.<name> [options]

Shared by the scripts: `benchmarks.data` (the data folder, from --data, $SUMMCHECK_DATA or
../shared/data, and its readers), `benchmarks.stats` (partial correlation, rank
correlation, ROC-AUC, bootstrap intervals) and `benchmarks.results_file` (the dated
sections of the results files). `benchmarks.agreement` is a package of its own.

The repository root must come first on sys.path (`python -m` from the root does that):
pysbd, a summcheck dependency, installs a top-level package also named `benchmarks`.
"""
