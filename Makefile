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

# Bytecode of the installed packages, written once (about 60 s of CPU, both cores), before
# `make test` / `make bench` prepare or run anything. Where PYTHONDONTWRITEBYTECODE is set
# (as on the shared 2-core machine), Python never writes what it compiles, so every process
# compiled torch, dask, pandas... from source again: importing `paii batch`'s worker modules
# took 6.8-8.0 s of CPU instead of 2.3-2.6 s, on the critical path of every batch run and
# of every dashboard start (bench/BENCHMARKS.md, "Bytecode"). Python checks each .pyc against
# its source, so a stale one is never used. Test folders are skipped (never imported, and
# one of torch's is Python 3.12 syntax).
COMPILED := $(VENV)/.compiled
$(COMPILED): $(STAMP)
	$(BIN)/python -m compileall -q -j 0 -x '/(tests?|testing/_internal)/' $(VENV)/lib
	touch $(COMPILED)

# PAII's own modules, compiled where stale (a stat per file when nothing changed).
COMPILE_OWN = $(BIN)/python -m compileall -q -j 0 paii_core ui views bench app.py

setup: $(STAMP)

# The demo world is built once, then prepared once (parcels, a simulated survey label
# set, yield forecasts, the flood event, XCO2) so every page opens with results;
# `make rebuild` builds and prepares it again from its seed. `make run` starts that in the
# background and the dashboard at once (its pages show the progress); `make world` (and
# so test and bench) waits for a background preparation or runs it in the foreground.
$(PREPARED): | $(STAMP) $(COMPILED)
	$(BIN)/python -m paii_core.preparation --wait

world: $(PREPARED)

rebuild: setup
	$(BIN)/paii demo build
	$(BIN)/paii demo prepare
	touch $(PREPARED)

# The packages' bytecode is compiled in the background here (niced), so a first `make run`
# answers as soon as before; the dashboard's later starts read it.
run: setup
	$(BIN)/python -m paii_core.preparation --background
	@test -f $(COMPILED) || (nice -n 10 $(MAKE) --no-print-directory $(COMPILED) > /dev/null 2>&1 &)
	$(COMPILE_OWN)
	$(BIN)/streamlit run app.py

# Two pytest workers (pytest-xdist), each test file whole on one worker (its module
# fixtures built once): the suite waits on browsers, servers and subprocesses for much of
# its time, so a second worker on CI's 2 cores takes tests/app from 204 s to 147 s
# (bench/BENCHMARKS.md, "Lead, session 15"). `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2
test: world
	$(COMPILE_OWN)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(BIN)/ruff check paii_core views ui app.py tests bench scripts
	$(BIN)/ruff format --check paii_core views ui app.py tests bench scripts

# Every capability's benchmark (under 20 minutes on 2 cores), then the table of current
# figures at the top of bench/BENCHMARKS.md. `make bench BENCH_ARGS="--only flood"`,
# `make bench FUZZ_MINUTES=2`; `python -m bench.run_all --list` names them.
FUZZ_MINUTES ?= 10
BENCH_ARGS ?=
bench: world
	$(COMPILE_OWN)
	$(BIN)/python -m bench.run_all --fuzz-minutes $(FUZZ_MINUTES) $(BENCH_ARGS)

clean:
	rm -rf data/demo data/paii.duckdb data/.preparation*
