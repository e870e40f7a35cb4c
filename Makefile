# Every target sets up its own virtual environment first, so a fresh clone needs only python3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH  := $(VENV)/.installed-bench
CODE   := $(wildcard src tests scripts benchmarks examples)

.PHONY: help install demo test lint types pytest bench index data clean

help:
	@echo "make demo   set up, then a support session through the residency command"
	@echo "make test   set up, then run every gate: ruff, mypy --strict, pytest with coverage"
	@echo "make bench  set up, then measure residency side by side with its peers"
	@echo "            (BENCH_ARGS=--quick for a smoke run; --json FILE, --only SECTION)"
	@echo "make index  regenerate the name index from pycountry and the Unicode CLDR (Babel)"
	@echo "make data   after editing the bundled catalog or groups: regenerate what derives"
	@echo "            from them (the parsed module, docs/bundled-catalog.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements/dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/dev.txt -e '.[cli,test,postgres,frames,dask]' ruff mypy babel
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

types: $(STAMP)
	$(BIN)/mypy src tests examples

# Two processes for the tests that may share the machine; then, alone, those that time kills,
# concurrent writers and "within a second" (marked serial in tests/conftest.py). Coverage is
# the sum of both runs, checked once at the end.
pytest: $(STAMP)
	$(BIN)/pytest -n 2 -m "not serial" --cov --cov-report= --cov-fail-under=0 --hypothesis-profile=ci
	$(BIN)/pytest -m serial --cov --cov-append --cov-report=term --hypothesis-profile=ci

# mypy (about 40 s on a clean clone) runs beside the first pytest run, long done before the
# serial one starts.
test: lint
	@$(MAKE) --no-print-directory -j2 types pytest

# The peers (country_converter, which pulls in pandas) install only for the benchmark.
$(BENCH): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/dev.txt -e '.[bench]'
	@touch $(BENCH)

bench: $(BENCH)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

index: $(STAMP)
	$(BIN)/python scripts/build_name_index.py

data: $(STAMP)
	$(BIN)/python scripts/build_parsed_data.py
	$(BIN)/python scripts/build_catalog_doc.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage build dist
