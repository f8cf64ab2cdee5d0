# Two commands on a fresh machine: `make run` and `make test`. Each creates or refreshes .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench venv clean

# Installing also compiles the classifier's hot path with mypyc (setup.py), so its sources are prerequisites.
$(STAMP): pyproject.toml setup.py nlp/classifier.py nlp/normalize.py nlp/trie.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m bot migrate
	$(PY) -m bot run

test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: venv
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/classify.py
	$(PY) benchmarks/startup.py
	@if [ -n "$$BENCH_DATABASE_URL" ]; then $(PY) benchmarks/workers.py; fi
	@if [ -n "$$BENCH_DATABASE_URL" ]; then $(PY) benchmarks/broadcast.py 2000 "$$BENCH_DATABASE_URL"; fi

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build
	find . -path ./$(VENV) -prune -o -name '*.so' -print -delete
