# Everything starts from a fresh machine with only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup render check charts validate docs hooks test fuzz lint bench clean

$(STAMP): pyproject.toml tools/install_helm.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	command -v helm >/dev/null 2>&1 || $(BIN)/python tools/install_helm.py --dest $(BIN)
	$(BIN)/python -m compileall -q gitopsctl render.py >/dev/null
	touch $(STAMP)

## setup: create .venv, install the pinned dependencies and a pinned Helm
# The editable install puts the checkout on sys.path with a plain .pth entry (compat mode): the
# default import hook costs every Python start in .venv ~15 ms. The package is byte-compiled as
# a regular install would be: where PYTHONDONTWRITEBYTECODE is set, every command would compile
# it again (~60 ms a start).
setup: $(STAMP)

## render: render every environment into applications/ and rendered/
render: $(STAMP)
	$(BIN)/python render.py render

## check: fail when the committed output is not what the sources render
check: $(STAMP)
	$(BIN)/python render.py render --check

## charts: fetch the chart archives sources/charts.lock pins into the chart cache, verified
charts: $(STAMP)
	$(BIN)/python render.py charts pull

## validate: schema and policy checks over the sources and the committed output
VALIDATE_FORMAT ?= text
validate: $(STAMP)
	@$(BIN)/python render.py validate --format $(VALIDATE_FORMAT)

## docs: regenerate docs/rules.md from the rule docstrings
docs: $(STAMP)
	$(BIN)/python render.py rules --markdown > docs/rules.md.tmp && mv docs/rules.md.tmp docs/rules.md

## hooks: install the git pre-commit hook (.pre-commit-config.yaml)
hooks: $(STAMP)
	$(BIN)/pre-commit install

## lint: ruff and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: the whole test suite, then the drift check, validation and lint
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/python render.py render --check
	$(BIN)/python render.py validate
	$(MAKE) --no-print-directory lint

## fuzz: the fuzz tests with many more examples than `make test` runs (several minutes)
FUZZ_EXAMPLES ?= 10000
fuzz: $(STAMP)
	GITOPSCTL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py \
		--hypothesis-show-statistics

## bench: the benchmark (see README, Performance)
bench: $(STAMP)
	$(BIN)/python -m compileall -q gitopsctl render.py >/dev/null
	$(BIN)/python bench/run.py $(if $(BENCH_CHART_CACHE),--chart-cache $(BENCH_CHART_CACHE))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
