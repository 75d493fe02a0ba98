# Two commands: `make run` serves the demo, `make test` runs the whole suite. Nothing else needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000
# Test files run in parallel processes (each has its own databases, ports and browser).
PYTEST_WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run serve reload test install install-dev browser nginx migrate seed bench clean

run: install migrate seed
	$(PY) wsgi.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) -m flask migrate

seed: install
	$(PY) -m flask seed-demo

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get install -y -q chromium fonts-liberation >/dev/null 2>&1 || \
	     (apt-get update -q && apt-get install -y -q chromium fonts-liberation)); \
	  else echo "Chromium is missing: install the Debian package 'chromium' (as root)."; fi; \
	fi

# The production layout: WORKERS eventlet workers (default: the cores) behind nginx on $(SERVE_PORT).
SERVE_PORT ?= 8000
serve: install migrate nginx
	PORT=$(SERVE_PORT) $(PY) deploy/serve.py

# Restart the workers of a running `make serve` one at a time (no room goes dark).
reload:
	kill -HUP $$(cat instance/serve/serve.pid)

nginx:
	@if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get install -y -q nginx >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q nginx)); \
	  else echo "nginx is missing: install the Debian package 'nginx' (as root)."; fi; \
	fi

test: install-dev browser nginx
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install-dev
	$(PY) bench/run.py

# Many rooms of three on K=1 and K=2 workers (make serve's layout) and K=1 on SQLite: capacity at p99 250 ms.
# Needs PostgreSQL (TEST_POSTGRES_URL, a database is made and dropped), redis-server, nginx, Node 20.
.PHONY: bench-rooms
bench-rooms: install-dev nginx
	$(PY) bench/rooms.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache tests/artifacts
