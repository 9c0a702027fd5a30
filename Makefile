# Two entry points: `make run` (serve on the embedded SQLite default) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@test -f .env || $(BIN)/surveybot init
	$(BIN)/surveybot db upgrade
	$(BIN)/surveybot serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: $(STAMP) lint
	$(BIN)/pytest

# mypy covers tests/ too (more loosely, see pyproject.toml); lint-imports checks the layers.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
