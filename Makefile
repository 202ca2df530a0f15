# kinlink: two entry points for a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Debian packages the suite needs (installed by scripts/install-system-deps when missing):
# chromium runs the Playwright browser tests (tests/portal/test_browser.py); Playwright never downloads one.
# poppler-utils gives pdftotext and pdffonts, with which the document tests read the rendered PDFs.
SYSTEM_PACKAGES := chromium poppler-utils

.PHONY: demo test test-fast lint typecheck test-sqlite test-postgres install clean smoke

$(STAMP): pyproject.toml scripts/install-system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	bash scripts/install-system-deps $(SYSTEM_PACKAGES)
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kinlink demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	PYTHONPATH=src $(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test-sqlite: $(STAMP)
	bash scripts/run-tests sqlite

test-postgres: $(STAMP)
	bash scripts/run-tests postgres

test: lint typecheck test-sqlite test-postgres

# the quick loop while working: SQLite only, without the tests marked slow (> ~5 s each) or spark
test-fast: $(STAMP)
	bash scripts/run-tests sqlite -m "not slow and not spark"

# the production stack from nothing on this machine (deploy/, docs/operator.md "Deploy"); prints PASS or FAIL
smoke: $(STAMP)
	KINLINK_SMOKE_PYTHON=$(PY) bash scripts/smoke

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
