# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint bench browser letters assets clean format

# The package build copies the npm assets into the package (setup.py), so they come first.
$(STAMP): pyproject.toml setup.py | node_modules/.package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright never downloads a browser here), and a
# CJK font so the Chinese pages' screenshots show characters, not boxes.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium or a CJK font missing: run 'sudo apt-get install chromium fonts-wqy-microhei'"; exit 1; fi; }

# WeasyPrint's Debian libraries (Pango, HarfBuzz via Pango) and a CJK font for the printed
# letters: a Chinese letter shows characters, not boxes, and the font is embedded in the PDF.
letters:
	@{ ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei >/dev/null; \
	  else echo "Pango or a CJK font missing: run 'sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei'"; exit 1; fi; }

# Front-end assets (htmx, Swagger UI, ReDoc) from the npm registry, pinned by package-lock.json;
# served by the app. No install scripts run, and ReDoc's peer dependencies are not installed: the
# app serves only the packages' prebuilt bundles.
assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm missing: run 'sudo apt-get install npm'"; exit 1; fi; }
	npm ci --no-audit --no-fund --silent --ignore-scripts --omit=peer
	touch $@

demo: $(STAMP) assets letters
	$(VENV)/bin/arrears demo

# Each test file runs whole on one worker (its module fixtures, e.g. a seeded server, are built
# once), in collection order: the long browser journeys in tests/e2e start first and the many
# short unit tests fill the end, instead of one long file starting last and running alone.
test: $(STAMP) browser letters assets
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
