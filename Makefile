# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webmap
PYTEST := $(BIN)/python -m pytest
# make run PORT=8080 serves on another port.
PORT ?= 5000

.PHONY: install install-test check run serve test bench sample clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }

# Production: the site's own dependencies at the pinned versions, and the package itself (editable).
$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Tests and benchmarks add the test tools, the PySAL references and the code checks.
$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The dev server with a worker thread beside it, on the embedded SQLite queue (instance/queue.sqlite):
# imports, refreshes, emails and the schedules all run with nothing else installed.
run: install
	$(FLASK) init-db
	$(FLASK) load-sample
	$(FLASK) dev --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with several workers on the database in WEBMAP_DATABASE_URL, and the queue's
# worker (TASK_WORKERS processes; the first runs the schedules) on WEBMAP_QUEUE_URL (see docs/operations.md).
# With more than one web worker, set WEBMAP_RATELIMIT_STORAGE_URI=redis://... so rate limits are shared.
WORKERS ?= 4
TASK_WORKERS ?= 1
BIND ?= 127.0.0.1:8000
serve: install
	$(FLASK) init-db
	@pids=""; for n in $$(seq 1 $(TASK_WORKERS)); do \
		if [ $$n = 1 ]; then $(FLASK) worker & else $(FLASK) worker --no-schedule & fi; pids="$$pids $$!"; \
	done; trap 'kill $$pids 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(BIND) --timeout 60 --graceful-timeout 30 'webmap:create_app()'

# The code checks: lint, formatting, the import layers, types (configured in pyproject.toml).
check: install-test
	$(BIN)/ruff check webmap tests bench scripts
	$(BIN)/ruff format --check webmap tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

# The code checks, then the whole suite on SQLite; then the tests that depend on the database again on
# PostGIS when WEBMAP_TEST_POSTGIS_URL names a database (browser and real-data acceptance tests run once).
# With CI=true (as .ci/run sets) a missing kit, browser, service or PostGIS database fails instead of skipping.
TEST_WORKERS ?= 2
test: check
	$(PYTEST) -n $(TEST_WORKERS)
	@if [ -n "$$WEBMAP_TEST_POSTGIS_URL" ]; then \
		echo "== The storage-dependent tests on PostGIS ($$WEBMAP_TEST_POSTGIS_URL) =="; \
		WEBMAP_TEST_DATABASE_URL="$$WEBMAP_TEST_POSTGIS_URL" $(PYTEST) -n $(TEST_WORKERS) -m "not browser and not realdata"; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but WEBMAP_TEST_POSTGIS_URL is not set: the PostGIS run cannot be skipped in CI"; exit 1; \
	else \
		echo "(PostGIS run skipped: set WEBMAP_TEST_POSTGIS_URL, as .ci/run does)"; \
	fi

bench: install-test
	$(BIN)/python bench/run_all.py
	$(BIN)/python scripts/api_contract.py  # schemathesis --checks all, 200 cases per operation

sample: install
	$(BIN)/python scripts/make_sample_area.py

clean:
	rm -rf $(VENV) instance .pytest_cache
