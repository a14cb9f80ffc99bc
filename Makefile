# One task runner for the README and CI.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUN_ARGS ?=
PYTEST_ARGS ?=

.PHONY: install browser run test lint fmt lock schema clean
CHROMIUM ?= /usr/bin/chromium

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## install: create .venv from the lock file (pinned, hashed)
install: $(STAMP)

## browser: Debian's Chromium for the page tests (Playwright cannot download a browser here)
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing for the browser tests; run: sudo apt-get install -y chromium"; exit 1; fi; \
	fi

## run: broker, Redis, the three services, an e-mail sink and the demo; Ctrl-C stops it all
run: $(STAMP)
	$(BIN)/brobygger run $(RUN_ARGS)

## test: the whole suite, over a real broker, Redis, SMTP and HTTP started by the tests
test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

## lock: re-pin every dependency (needs uv: pip install uv)
lock:
	uv pip compile pyproject.toml --extra local --extra dev --python-version 3.11 --generate-hashes --no-header -o requirements.lock

schema: $(STAMP)
	$(BIN)/brobygger schema

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
