# roadcam: the two commands a newcomer runs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
ROADCAM := $(VENV)/bin/roadcam
PG_PORT ?= 54329
WEB_DEPS := api/static/node_modules/.installed
PG_URL := postgresql+psycopg://postgres@127.0.0.1:$(PG_PORT)/roadcam_test

# ultralytics must never reach for the network (see docs/install.md).
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := 0
export YOLO_CONFIG_DIR := $(CURDIR)/.ultralytics
export MPLCONFIGDIR := $(CURDIR)/.mpl
export OPENVINO_TELEMETRY_OPT_OUT := 1

.PHONY: demo test venv venv-dev spatialite postgis-install chromium-install node-install web sample lint bench clean help

help:
	@echo "make demo   - install, process sample_footage/ into var/roadcam.sqlite, serve the API on :8000"
	@echo "make test   - install with dev+train extras, start a throwaway PostGIS, run pytest on both databases"

$(VENV)/.base: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[postgis]'
	touch $@

$(VENV)/.dev: $(VENV)/.base
	# torch 2.14.1 + torchvision 0.29.1 is the only pair that works here (taken from local disk).
	$(PIP) install -q torch==2.14.1 torchvision==0.29.1
	$(PIP) install -q -e '.[postgis,train,dev,bench,distributed]'
	# ultralytics pulls opencv-python (Qt); keep the headless build only.
	$(PIP) uninstall -q -y opencv-python || true
	$(PIP) install -q --force-reinstall --no-deps opencv-python-headless
	touch $@

venv: $(VENV)/.base
venv-dev: $(VENV)/.dev

$(YOLO_CONFIG_DIR)/Arial.ttf: | $(VENV)/.base
	mkdir -p $(YOLO_CONFIG_DIR) $(MPLCONFIGDIR)
	font=$$(find /usr/share/fonts $(VENV) -name 'DejaVuSans.ttf' 2>/dev/null | head -n1); \
	if [ -n "$$font" ]; then cp "$$font" $@; else echo "no DejaVuSans.ttf found; ultralytics plots may try the network" >&2; fi

spatialite: $(VENV)/.base
	@bash .ci/ensure-spatialite $(PY)

postgis-install:
	@bash .ci/postgis install

chromium-install:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium and put it on PATH (browser tests need it)" >&2; exit 1; fi; }

# The web map's JavaScript (Leaflet) comes from npm, pinned by api/static/package-lock.json,
# installed into api/static/node_modules (served by the API at /static/node_modules).
node-install:
	@command -v npm >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then apt-get update -qq && apt-get install -y -qq npm >/dev/null; \
	  else echo "Install Node.js and npm (the web map's JavaScript comes from npm)" >&2; exit 1; fi; }

$(WEB_DEPS): api/static/package.json api/static/package-lock.json | node-install
	cd api/static && npm ci --no-audit --no-fund
	touch $@

web: $(WEB_DEPS)

demo: $(VENV)/.base spatialite $(WEB_DEPS)
	mkdir -p var
	$(ROADCAM) db upgrade
	$(ROADCAM) network load sample_footage/network.geojson
	$(ROADCAM) process sample_footage/ || [ $$? -eq 3 ]
	$(ROADCAM) hierarchy review --database sqlite:///$(CURDIR)/var/roadcam.sqlite \
	  --sites hierarchy/examples/medway_sites.geojson --out var/hierarchy_review
	@# A local admin to sign in with (a new password each run; printed once, never stored in clear).
	@$(ROADCAM) users add admin --role admin --full-name "Local admin" --reset-if-exists
	@echo "Sign in at http://127.0.0.1:8000/login as 'admin' with the password above;"
	@echo "  add people with: $(ROADCAM) users add NAME --role inspector (admin, engineer, inspector, contractor, viewer)"
	@echo "Serving the API and map on http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(ROADCAM) serve --host 127.0.0.1 --port 8000

test: $(VENV)/.dev spatialite postgis-install chromium-install $(WEB_DEPS) $(YOLO_CONFIG_DIR)/Arial.ttf lint
	@bash .ci/postgis start $(PG_PORT)
	@status=0; \
	ROADCAM_TEST_POSTGIS_URL=$(PG_URL) ROADCAM_REQUIRE_POSTGIS=1 $(PY) -m pytest --nbmake tests notebooks $(PYTEST_ARGS) || status=$$?; \
	bash .ci/postgis stop $(PG_PORT); \
	exit $$status

# Lint, format and the allowed imports of docs/architecture.md (pyproject [tool.importlinter]).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=$(CURDIR) $(VENV)/bin/lint-imports

sample: $(VENV)/.base
	$(PY) sample_footage/make_sample.py

clean:
	rm -rf $(VENV) var .ultralytics .mpl .pytest_cache api/static/node_modules
