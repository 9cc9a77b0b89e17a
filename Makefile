# atbalsts — the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := data/sample

.DEFAULT_GOAL := help
.PHONY: help install demo test lint run status clean-sample

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(BIN)/.installed  ## create .venv and install atbalsts with its pinned dependencies

demo: install  ## generate the sample data and run the whole monthly job on it
	rm -rf $(SAMPLE)
	$(BIN)/atbalsts sample --out $(SAMPLE)/raw
	$(BIN)/atbalsts run --raw $(SAMPLE)/raw --out $(SAMPLE)/processed --demo-key
	@echo "Pārskati / reports: $(SAMPLE)/processed/reports/index.html"

test: install  ## lint and run the test suite (two workers, longest test files first: tests/conftest.py)
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/ruff format --check pipelines tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

run: install  ## the monthly run on data/raw (needs ATBALSTS_PSEUDONYM_KEY or a key file)
	$(BIN)/atbalsts run

status: install  ## what is loaded and what is missing
	$(BIN)/atbalsts status

clean-sample:  ## remove the generated sample and its outputs
	rm -rf $(SAMPLE)
