# Two set-up commands on a fresh Debian machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test bench lint venv sysdeps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

# Debian packages and npm peers the integration tests compare against (needs root; idempotent).
sysdeps:
	bash scripts/install-system-deps.sh

demo: $(STAMP)
	$(BIN)/ppid-audit demo --out out

test: $(STAMP)
	@if [ "$$(id -u)" = 0 ] || [ -n "$$CI" ]; then bash scripts/install-system-deps.sh; fi
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check auditor checks reports tests bench

clean:
	rm -rf $(VENV) out var build *.egg-info
