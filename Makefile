# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webmap
PYTEST := $(BIN)/python -m pytest
# make run PORT=8080 serves on another port.
PORT ?= 5000

.PHONY: install run serve test test-sqlite test-postgis bench sample clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) init-db
	$(FLASK) load-sample
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with several workers on the database in WEBMAP_DATABASE_URL (see docs/operations.md).
# With more than one worker, set WEBMAP_RATELIMIT_STORAGE_URI=redis://... so rate limits are shared.
WORKERS ?= 4
BIND ?= 127.0.0.1:8000
serve: install
	$(FLASK) init-db
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(BIND) --timeout 60 --graceful-timeout 30 'webmap:create_app()'

# The whole suite on SQLite; then again on PostGIS when WEBMAP_TEST_POSTGIS_URL names a database.
# With CI=true (as .ci/run sets) a missing kit, browser, service or PostGIS database fails instead of skipping.
test: install
	$(PYTEST)
	@if [ -n "$$WEBMAP_TEST_POSTGIS_URL" ]; then \
		echo "== The same suite on PostGIS ($$WEBMAP_TEST_POSTGIS_URL) =="; \
		WEBMAP_TEST_DATABASE_URL="$$WEBMAP_TEST_POSTGIS_URL" $(PYTEST); \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but WEBMAP_TEST_POSTGIS_URL is not set: the PostGIS run cannot be skipped in CI"; exit 1; \
	else \
		echo "(PostGIS run skipped: set WEBMAP_TEST_POSTGIS_URL, as .ci/run does)"; \
	fi

bench: install
	$(BIN)/python bench/run_all.py
	$(BIN)/python scripts/api_contract.py  # schemathesis --checks all, 200 cases per operation

sample: install
	$(BIN)/python scripts/make_sample_area.py

clean:
	rm -rf $(VENV) instance .pytest_cache
