# ConnectionLab: two commands on a fresh machine.
#   make run   set up .venv, create the demo data if absent, run the notebook suite
#   make test  set up .venv with the test extras, run ruff, the tests and the docstring examples
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CONNLAB := $(VENV)/bin/connlab
DEMO := data/raw/demo_survey
KERNEL := $(VENV)/share/jupyter/kernels/connectionlab/kernel.json
# quiet pip, but keep its errors
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lab bench data browser clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    set up .venv, create the demo data if absent, run all notebooks -> reports/index.html"
	@echo "make test   set up .venv with test extras, run the tests"
	@echo "make lab    open JupyterLab with the project kernel"
	@echo "make bench  run the benchmarks in bench/ (ratios against peers, same run)"
	@echo "make data   (re)create the simulated demo survey in $(DEMO)"

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "ConnectionLab needs Python 3.11, found " + sys.version.split()[0]' \
	  || { echo "Set PYTHON=/path/to/python3.11 (make run PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip --disable-pip-version-check -q install -U pip

# Installed-stamps are remade whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[test]"
	@touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(PIP) install -e ".[test,bench]"
	@touch $@

$(KERNEL): $(VENV)/.installed
	$(PY) -m ipykernel install --sys-prefix --name connectionlab --display-name "Python 3.11 (ConnectionLab)" >/dev/null

# re-made when the generator or an instrument file changes
$(DEMO)/codebook.yaml: src/analysis/data/simulate.py $(wildcard src/analysis/data/instruments/*.yaml) | $(VENV)/.installed
	$(CONNLAB) simulate --out $(DEMO)

data: $(VENV)/.installed
	$(CONNLAB) simulate --out $(DEMO)

run: $(VENV)/.installed $(KERNEL) $(DEMO)/codebook.yaml
	$(CONNLAB) run

# Chromium is used by the rendered-report test; installed when we may (root + apt), else skipped.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	       || echo "note: chromium not installed; the rendered-report test will be skipped"; }

# ruff (the house rules in pyproject.toml), then the tests and the docstring examples (--doctest-modules)
test: $(VENV)/.installed-test $(KERNEL) browser
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest

lab: $(VENV)/.installed $(KERNEL) $(DEMO)/codebook.yaml
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --MultiKernelManager.default_kernel_name=connectionlab \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(VENV)/.installed-bench $(KERNEL) $(DEMO)/codebook.yaml
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) reports/*/ reports/index.html
