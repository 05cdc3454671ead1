# ConnectionLab: two commands on a fresh machine.
#   make run   set up .venv, create the demo data if absent, run the notebook suite
#   make test  set up .venv with the test extras, run ruff, the tests and the docstring examples
SHELL := /bin/bash
# the first of python3.11, python3.12, python3.13 that runs (a pyenv shim may not), else python3; checked below
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do $$p -c '' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
CONNLAB := $(VENV)/bin/connlab
DEMO := data/raw/demo_survey
KERNEL := $(VENV)/share/jupyter/kernels/connectionlab/kernel.json
# quiet pip, but keep its errors
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lab bench bench-smoke data browser clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    set up .venv, create the demo data if absent, run all notebooks -> reports/index.html"
	@echo "make test   set up .venv with test extras, run the tests"
	@echo "make lab    open JupyterLab with the project kernel"
	@echo "make bench  run the benchmarks in bench/ (ratios against peers, same run)"
	@echo "make bench-smoke  every benchmark on small sizes, 1 repeat, goals not checked (CI runs it)"
	@echo "make data   (re)create the simulated demo survey in $(DEMO)"

$(PY):
	@found=$$($(PYTHON) -c 'import sys; print(sys.version.split()[0])' 2>/dev/null); \
	  case "$$found" in 3.11.*|3.12.*|3.13.*) ;; \
	    *) echo "ConnectionLab needs Python 3.11-3.13; found $${found:-no working Python at '$(PYTHON)'}. Set PYTHON=/path/to/python3.X"; \
	       exit 1;; \
	  esac
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip --disable-pip-version-check -q install -U pip

# Installed-stamps are remade whenever pyproject.toml or constraints.txt changes. pyproject.toml has the
# ranges; constraints.txt the exact tested versions of everything installed (the one place versions live).
# An editable install compiles no bytecode (pip does for others) and PYTHONDONTWRITEBYTECODE=1, which some
# machines set, stops Python from writing it: compiled here, every kernel and process imports the package faster
$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) install -c constraints.txt -e .
	$(PY) -m compileall -q src/analysis
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[test]"
	@touch $@

$(VENV)/.installed-bench: pyproject.toml constraints.txt $(VENV)/.installed-test
	$(PIP) install -c constraints.txt -e ".[test,bench]"
	@touch $@

$(KERNEL): $(VENV)/.installed
	$(PY) -m ipykernel install --sys-prefix --name connectionlab --display-name "Python 3 (ConnectionLab)" >/dev/null

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

# the same benchmarks on small sizes, a few seconds each, so they cannot rot (bench/README.md)
bench-smoke: $(VENV)/.installed-bench $(KERNEL) $(DEMO)/codebook.yaml
	$(PY) bench/run_all.py --smoke

clean:
	rm -rf $(VENV) reports/*/ reports/index.html
