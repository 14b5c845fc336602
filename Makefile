# The two commands of the README:
#   make serve   build the site and serve it at http://127.0.0.1:$(PORT)
#   make test    install what the tests need and run every test
# Everything is installed into .venv from pyproject.toml; system packages
# (Debian's chromium for the browser tests) through apt-get.

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test build benchmark system-deps clean

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

system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed system-deps
	$(VENV)/bin/pytest

benchmark: $(VENV)/.installed system-deps
	$(PY) benchmarks/site_build_and_weight.py

clean:
	rm -rf site $(VENV)
