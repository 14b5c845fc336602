# The two commands of the README:
#   make serve   build the site and serve the whole system (site, report form,
#                status check, API) at http://127.0.0.1:$(PORT)
#   make test    install what the tests need and run every test
# Everything is installed into .venv from pyproject.toml; system packages
# (Debian's chromium for the browser tests) through apt-get.

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve preview endpoint test build benchmark build-deps system-deps clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The site, its training packs' PDFs and the offline kit (resources/build.py).
build: $(VENV)/.installed build-deps
	$(PY) -m resources.build

# One gunicorn serves the built site and the endpoint together, on SQLite in
# ./instance (production splits them: deploy/).  The session cookie is not
# marked Secure here, since the local address is plain http.
# deploy/gunicorn.conf.py prints the address to open once it listens.
serve: build
	@echo "Starting the site and the report endpoint on http://127.0.0.1:$(PORT)/ ..."
	@REPORT_INSTANCE_PATH=$(CURDIR)/instance REPORT_SITE_DIR=$(CURDIR)/site REPORT_SERVE_SITE=1 \
	REPORT_SESSION_COOKIE_SECURE=0 $(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py \
	  --bind 127.0.0.1:$(PORT) 'report_endpoint:create_app()'

# The site alone with live reload, for writers editing pages (no form).
preview: $(VENV)/.installed
	$(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:$(PORT)

# What building the site needs from Debian: Pango for WeasyPrint (the packs'
# PDFs) and DejaVu Sans for their Latin text.
BUILD_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

build-deps:
	@missing=""; for p in $(BUILD_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# Debian's chromium (browser tests), PostgreSQL (the storage tests run
# against a real server) and nginx (the deployment tests run deploy/nginx);
# the tests start their own servers on loopback.
SYSTEM_PACKAGES := chromium postgresql nginx

# The report endpoint alone, under gunicorn, SQLite in ./instance.
endpoint: $(VENV)/.installed
	REPORT_INSTANCE_PATH=$(CURDIR)/instance $(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --no-control-socket 'report_endpoint:create_app()'

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# axe-core (tests/accessibility/ runs it in Chromium), exactly as package-lock.json
# pins it.  Node and npm come with the machine (NodeSource's nodejs bundles npm).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: $(VENV)/.installed build-deps system-deps node_modules/.installed
	$(VENV)/bin/pytest

benchmark: $(VENV)/.installed system-deps
	$(PY) benchmarks/site_build_and_weight.py

clean:
	rm -rf site $(VENV) node_modules
