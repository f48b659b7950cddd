# constcl_mm entry points. Every target installs (idempotently) what it needs.
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install install-mim lint test test-extra demo check-tf-cvrl clean-venv

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

# Opt-in: CVRL's R3D-50 written by the official TF builder (in a TF venv
# outside the checkout, TF_VENV, created when missing), converted and
# compared with TF's features (docs/model_zoo.md).
check-tf-cvrl: install
	PY=$(PY) bash tools/tf/check_tf_cvrl.sh

# mim (openmim) looks for the package in site-packages, where an editable
# install has only its metadata: this replaces the editable install of
# `make install` by a regular one of the checkout (re-run after editing the
# sources); `make install` afterwards goes back to the editable install.
install-mim: install
	$(PY) -m pip install --disable-pip-version-check --no-deps \
		--no-build-isolation --force-reinstall $(CURDIR)
	rm -f $(VENV)/.constcl_mm_install

clean-venv:
	rm -rf $(VENV)
