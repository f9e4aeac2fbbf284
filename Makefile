# gidar — `make demo` and `make test` work from a fresh clone (Python 3.11 and PyPI needed once).
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.gidar-installed
# python3.11 if present, else python3 when it is 3.11 or newer.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || \
            (python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && command -v python3))

DEMO_WH := demo/gidar.duckdb
DEMO_QUERY := SELECT status, quality, count(*) AS reports FROM reports GROUP BY ALL ORDER BY reports DESC
DEMO_DQ := SELECT file_name, rule, row_key, col_key, lhs, rhs, pages FROM dq_failures WHERE severity = 'critical'

.PHONY: demo test check lint typecheck fast install sysdeps clean-demo

# Debian packages the tests use: Chromium (the dashboard's browser test) and a CJK font
# (rasterising generated PDFs for the OCR tests; readable dashboard screenshots).
SYSDEPS := chromium fonts-wqy-microhei

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

# Re-install only when the dependency pins change.
$(STAMP): $(BIN)/python pyproject.toml dev/pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]" -e ./dev
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gidar ingest samples --warehouse $(DEMO_WH) --lake demo/lake --data-dir demo
	@echo
	@echo "# reports by reading status:  gidar query \"SELECT ... FROM reports ...\" --warehouse $(DEMO_WH)"
	@$(BIN)/gidar query "$(DEMO_QUERY)" --warehouse $(DEMO_WH)
	@echo
	@echo "# broken 勾稽关系 (critical DQ failures), from the dq_failures view:"
	@$(BIN)/gidar query "$(DEMO_DQ)" --warehouse $(DEMO_WH)

sysdeps:
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
	      || echo "could not install$$missing: the tests that need them skip with a message"; \
	  else echo "missing Debian packages:$$missing — install them (apt-get install$$missing) or the tests that need them skip"; fi; \
	fi

test: $(STAMP) sysdeps
	$(BIN)/python -m pytest -q

# The dev loop, enforced by CI before the full suite: lint, format, types, the fast tests.
check: lint typecheck fast

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy does not follow setuptools' package-dir mapping (gidar.extract -> extract/), so it checks a
# tree of links laid out as installed: build/typecheck/gidar/{*.py, extract -> ../../extract, ...}.
TYPECHECK := build/typecheck
typecheck: $(STAMP)
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/gidar
	@for f in gidar/*; do ln -s "$(CURDIR)/$$f" $(TYPECHECK)/gidar/; done
	@for p in extract transform expectations warehouse flows; do ln -s "$(CURDIR)/$$p" $(TYPECHECK)/gidar/$$p; done
	@ln -s "$(CURDIR)/dev/gidar_dev" $(TYPECHECK)/gidar_dev
	cd $(TYPECHECK) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p gidar -p gidar_dev

# The fast tier: everything not marked slow (no Prefect flow, OCR, browser); under a minute.
fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

clean-demo:
	rm -rf demo
