# The two commands of the README:
#   make serve   build the site and serve it at http://127.0.0.1:$(PORT)
#   make test    install what the tests need and run every test
# Everything is installed into .venv from pyproject.toml; system packages
# (Debian's chromium for the browser tests) through apt-get.

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve endpoint test build benchmark system-deps clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

build: $(VENV)/.installed
	$(VENV)/bin/mkdocs build --strict

serve: $(VENV)/.installed
	@echo "Serving the site at http://127.0.0.1:$(PORT)/ (Khmer: http://127.0.0.1:$(PORT)/km/)"
	$(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:$(PORT)

# Debian's chromium (browser tests) and PostgreSQL (the storage tests run
# against a real server, which the tests start themselves).
SYSTEM_PACKAGES := chromium postgresql

# The report endpoint alone, under gunicorn, SQLite in ./instance.
endpoint: $(VENV)/.installed
	REPORT_INSTANCE_PATH=$(CURDIR)/instance $(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --no-control-socket 'report_endpoint:create_app()'

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

test: $(VENV)/.installed system-deps
	$(VENV)/bin/pytest

benchmark: $(VENV)/.installed system-deps
	$(PY) benchmarks/site_build_and_weight.py

clean:
	rm -rf site $(VENV)
