# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Inside data/demo/, so a rebuild (which replaces that folder whole) or `make clean` drops it.
PREPARED := data/demo/.prepared

.PHONY: run test setup world rebuild lint bench clean

# --no-compile: no bytecode for the ~40k installed .py files up front (Python compiles what
# it imports, once); pip itself is not upgraded (the venv's own reads the pinned wheels).
$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile -r requirements.txt
	$(BIN)/pip install --quiet --no-compile --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)

# The demo world is built once, then prepared once (parcels, a simulated survey label
# set, yield forecasts, the flood event, XCO2) so every page opens with results;
# `make rebuild` builds and prepares it again from its seed. `make run` starts that in the
# background and the dashboard at once (its pages show the progress); `make world` (and
# so test and bench) waits for a background preparation or runs it in the foreground.
$(PREPARED): | $(STAMP)
	$(BIN)/python -m paii_core.preparation --wait

world: $(PREPARED)

rebuild: setup
	$(BIN)/paii demo build
	$(BIN)/paii demo prepare
	touch $(PREPARED)

run: setup
	$(BIN)/python -m paii_core.preparation --background
	$(BIN)/streamlit run app.py

test: world
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check paii_core views ui app.py tests bench scripts
	$(BIN)/ruff format --check paii_core views ui app.py tests bench scripts

# Every capability's benchmark (under 20 minutes on 2 cores), then the table of current
# figures at the top of bench/BENCHMARKS.md. `make bench BENCH_ARGS="--only flood"`,
# `make bench FUZZ_MINUTES=2`; `python -m bench.run_all --list` names them.
FUZZ_MINUTES ?= 10
BENCH_ARGS ?=
bench: world
	$(BIN)/python -m bench.run_all --fuzz-minutes $(FUZZ_MINUTES) $(BENCH_ARGS)

clean:
	rm -rf data/demo data/paii.duckdb data/.preparation*
