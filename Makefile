# releasebot: `make run` starts the bot, `make test` runs every test. Both install first.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Pinned versions of every dependency and tool (`make lock` refreshes them).
CONSTRAINTS := constraints.txt
LOCK_VENV := .lock-venv

.PHONY: install lock run test lint format bench migrate doctor clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $@

# Resolve pyproject.toml afresh (newest allowed versions) in a throwaway venv and pin the result.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e ".[dev]"
	{ sed -n '/^#/p' $(CONSTRAINTS); $(LOCK_VENV)/bin/pip freeze --all --exclude releasebot --exclude pip; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

run: install
	$(BIN)/releasebot run

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy bot handlers
	$(BIN)/lint-imports
	$(BIN)/python scripts/schema_check.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m benchmarks.run

migrate: install
	$(BIN)/releasebot migrate

doctor: install
	$(BIN)/releasebot doctor

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
