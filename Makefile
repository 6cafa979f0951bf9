# The two commands of the README: `make demo` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
TORCH ?= pinned
PYTHON ?= python3
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: setup demo test clean clean-venv

setup:
	@TORCH=$(TORCH) PYTHON=$(PYTHON) VENV=$(abspath $(VENV)) bash tools/setup/setup_env.sh

demo: setup
	@$(PY) demo/run_demo.py $(DEMO_ARGS)

# Without PYTEST_ARGS pytest runs testpaths (tests/, see pytest.ini); with paths in it, only those.
test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf work_dirs .pytest_cache build dist *.egg-info mmpcd/.mim mmpcd/_ext*.so
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

clean-venv:
	rm -rf $(VENV)
