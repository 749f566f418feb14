# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB := data/paii.duckdb

.PHONY: run test setup world rebuild lint bench clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# The demo world is built once; `make rebuild` builds it again from its seed.
$(DB): | $(STAMP)
	$(BIN)/paii demo build

world: $(DB)

rebuild: setup
	$(BIN)/paii demo build

run: world
	$(BIN)/streamlit run app.py

test: world
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check paii_core views ui app.py tests bench scripts
	$(BIN)/ruff format --check paii_core views ui app.py tests bench scripts

bench: world
	$(BIN)/python -m bench.run_all

clean:
	rm -rf data/demo $(DB)
