#!/usr/bin/env bash
# Style check of the mmaction2 setup (setup.cfg): flake8, isort, yapf.
# Exits non-zero on any finding. Fix with:
#   isort constcl_mm tools tests configs benchmarks setup.py
#   yapf -i -r constcl_mm tools tests configs benchmarks setup.py
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-${VENV:-.venv}/bin/python}"
PATHS=(constcl_mm tools tests tests_extra configs benchmarks setup.py)
status=0
echo "[lint] flake8"
"$PY" -m flake8 "${PATHS[@]}" || status=1
echo "[lint] isort"
"$PY" -m isort --check-only --diff "${PATHS[@]}" || status=1
echo "[lint] yapf"
out=$("$PY" -m yapf --diff -r "${PATHS[@]}") || status=1
if [ -n "$out" ]; then echo "$out"; status=1; fi
[ $status -eq 0 ] && echo "[lint] clean"
exit $status
