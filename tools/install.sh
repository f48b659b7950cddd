#!/usr/bin/env bash
# One idempotent install step: creates .venv in the checkout and installs the whole
# OpenMMLab stack plus constcl_mm (editable). Safe to run again: it returns at once
# when nothing it depends on changed.
#
# Environment:
#   VENV            where to create the environment (default: <repo>/.venv)
#   PYTHON          interpreter used to create it (default: python3)
#   CONSTCL_WHEELS  a folder of prebuilt wheels used as a pip cache
#                   (default: ../shared/wheels when it exists). mmcv is built from
#                   source when no matching wheel is there (about 17 min on 2 cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WHEELS="${CONSTCL_WHEELS:-$ROOT/../shared/wheels}"

stamp_inputs=("$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/install.sh")
want="$(cat "${stamp_inputs[@]}" | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.constcl_mm_install"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$VENV/bin/python" -c 'import mmcv._ext, mmaction, mmdet, constcl_mm' 2>/dev/null; then
  echo "[install] $VENV is up to date"
  exit 0
fi

start=$(date +%s)
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "[install] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check)
if [[ -d "$WHEELS" ]]; then
  echo "[install] using $WHEELS as a wheel cache"
  PIP+=(--find-links "$WHEELS")
fi

echo "[install] 1/4 torch and build tools"
"${PIP[@]}" -r "$ROOT/requirements/build.txt"

echo "[install] 2/4 mmcv 2.1.0 with compiled ops (from source unless a matching wheel is cached)"
MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
  "${PIP[@]}" --no-build-isolation -c "$ROOT/requirements/build.txt" -r "$ROOT/requirements/mmcv.txt"

echo "[install] 3/4 mmengine, mmdet, mmaction2, decoders, tests"
"${PIP[@]}" -c "$ROOT/requirements/build.txt" \
  -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/optional.txt"

echo "[install] 4/4 constcl_mm (editable)"
"${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"

"$VENV/bin/python" - <<'PY'
import mmcv, mmcv.ops, mmengine, mmdet, mmaction, torch, constcl_mm  # noqa: F401
from mmcv.ops import RoIAlign  # noqa: F401  (compiled ops present)
print(f'[install] torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmdet {mmdet.__version__}, mmaction2 {mmaction.__version__}, constcl_mm {constcl_mm.__version__}')
PY
echo "$want" > "$stamp"
echo "[install] done in $(( $(date +%s) - start )) s"
