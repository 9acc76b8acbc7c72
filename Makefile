# Two commands work on a fresh machine with only Python 3.11 and make: `make run` and `make test`.
PYTHON ?= python3
# The explorer's port: `make app PORT=8765` when 8501 is taken.
PORT ?= 8501
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run calibrate test test-fast golden hunt app lint typecheck bench schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $(STAMP)

# Without --events: the event logs are about 22 MB a replication (over 200 MB for the baseline)
# and only `make calibrate` reads them, so it writes them itself.
run: $(STAMP)
	$(BIN)/aftersales-sim run scenarios/baseline.yaml --out results/baseline

# Fit the baseline's records back into a scenario and check it reproduces their KPIs. The records
# are the baseline run with --events (results/baseline/, written here when they are missing).
calibrate: $(STAMP)
	test -f results/baseline/events/calls.csv || \
		$(BIN)/aftersales-sim run scenarios/baseline.yaml --out results/baseline --events
	$(BIN)/aftersales-sim fit --events results/baseline/events --base scenarios/baseline.yaml \
		--out scenarios/fitted.yaml --backtest 10

test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks app.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider

# The suite without the tests marked slow (long statistical runs): for the edit-test loop.
# `make test` (what CI runs) runs everything.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider -m "not slow"

# The property tests with fresh random examples, 300 per property (make test draws the same ones
# every run): a bug hunt, about half an hour on 2 cores.
hunt: $(STAMP)
	SIM_HYPOTHESIS_PROFILE=hunt SIM_PROPERTY_EXAMPLES=$${SIM_PROPERTY_EXAMPLES:-300} \
		$(BIN)/python -m pytest -q -rs -p no:cacheprovider tests/test_invariants.py \
		tests/test_parts.py tests/test_redial.py tests/test_hostile.py

# Rewrite tests/golden/baseline_replications.csv after a deliberate change of numbers.
golden: $(STAMP)
	$(BIN)/python tests/test_golden.py

app: $(STAMP)
	$(BIN)/python -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--browser.gatherUsageStats false

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py

schema: $(STAMP)
	$(BIN)/aftersales-sim schema --out schemas/scenario.schema.json

clean:
	rm -rf $(VENV) results
