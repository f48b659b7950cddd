# constcl_mm entry points. Every target installs (idempotently) what it needs.
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install test demo clean-venv

install:
	bash tools/install.sh

test: install
	$(PY) -m pytest

demo: install
	$(PY) tools/demo.py

clean-venv:
	rm -rf $(VENV)
