# constcl_mm entry points. Every target installs (idempotently) what it needs.
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install lint test test-extra demo clean-venv

install:
	bash tools/install.sh

lint: install
	PY=$(PY) bash tools/lint.sh

test: install
	$(PY) -m pytest

# Opt-in checks on an optional data folder (CONSTCL_SHARED, default ../shared).
test-extra: install
	$(PY) -m pytest tests_extra

demo: install
	$(PY) tools/demo.py

clean-venv:
	rm -rf $(VENV)
