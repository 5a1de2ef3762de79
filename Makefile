# The README's two commands are `make demo` and `make test`; everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install system-deps lint lint-python lint-sql test-python test-sdk sdk bench clean

demo: install
	$(BIN)/clickstream demo

test: install system-deps lint test-sdk test-python

$(STAMP): pyproject.toml $(wildcard sdk/package-lock.json sdk/src/*.ts sdk/scripts/*)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	cd sdk && npm ci --no-audit --no-fund && npm run build
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

lint: lint-python lint-sql

lint-python: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/clickstream schema check

# sqlfluff's dbt templater compiles the models against the warehouse: start it first, and
# stop it afterwards if it was not running before.
lint-sql: install
	if [ -f dbt_project.yml ]; then \
		was_running=0; $(BIN)/clickstream db status >/dev/null && was_running=1; \
		$(BIN)/clickstream db start >/dev/null && \
		eval "$$($(BIN)/python -m transform env)" && \
		$(BIN)/sqlfluff lint models; status=$$?; \
		[ $$was_running = 1 ] || $(BIN)/clickstream db stop >/dev/null; \
		exit $$status; \
	fi

test-sdk: install
	if [ -f sdk/package.json ]; then cd sdk && npm test; fi

test-python: install
	$(BIN)/pytest

sdk: install
	cd sdk && npm run build

# `make bench` lists the benchmarks; `make bench BENCH=loader` runs one.
bench: install
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .clickstream target logs sdk/node_modules sdk/dist
