# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-meetings schema clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("moedeplan needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## Plan the bundled Ballerup example for spring 2027 into out/.
demo: $(STAMP)
	$(BIN)/moedeplan plan examples/ballerup.yaml --term foraar-2027 --out out

## The whole test suite (CI runs exactly this).
test: $(STAMP)
	$(BIN)/pytest

## The suite without the browser, worker-process and long-solve tests (markers in pyproject.toml).
test-fast: $(STAMP)
	$(BIN)/pytest -m "not browser and not workers and not solve"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy scheduler constraints calendar_sync api bench tests

## Hand planning vs moedeplan (10 s, 60 s; 5 seeds, 2 workers) per benchmark instance, then the other figures.
bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.messages
	$(BIN)/python -m bench.replan
	$(BIN)/python -m bench.keep
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.bal

## Timefold's meeting-scheduling benchmark: three instances, 60 s, 2 workers, a table.
bench-meetings: $(STAMP)
	$(BIN)/python -m bench.meeting_scheduling.run

## Regenerate the JSON Schemas in docs/.
schema: $(STAMP)
	$(BIN)/moedeplan schema plan > docs/plan.schema.json
	$(BIN)/moedeplan schema config > docs/config.schema.json

clean:
	rm -rf $(VENV) out build *.egg-info
