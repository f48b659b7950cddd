#!/usr/bin/env bash
# `make check-tf-cvrl`: CVRL's R3D-50 written by the official TF builder,
# converted, and its features compared with TF's (docs/model_zoo.md).
#
# 1. a TF venv at $TF_VENV (default: ../tfvenv beside the checkout, outside
#    the repository) with tools/tf/requirements.txt, created when missing;
# 2. in it, tools/tf/make_cvrl_goldens.py: the official ResNet3D with the
#    CVRL settings and seeded weights, saved as tf.train.Checkpoint(
#    backbone=model) (127 MB), and its res2-res5 on a 1x16x224x224 clip; the
#    reader is compared with tf.train.load_checkpoint on every tensor;
# 3. the goldens it wrote are compared with tests/data/tf_cvrl (reported);
# 4. in .venv, tools/convert_tf_cvrl.py --check --tf-python: the TF venv
#    restores the saved checkpoint into a newly built official model (as a
#    released file would be) and computes its features on the seeded clip;
#    exit status 1 unless the tf_same features are within 1e-4 (relative) of
#    TF's.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PY:-${VENV:-.venv}/bin/python}"
TF_VENV="${TF_VENV:-$(cd .. && pwd)/tfvenv}"
WORK="${CVRL_CHECK_DIR:-work_dirs/tf_cvrl_check}"
start=$(date +%s)
if ! "$TF_VENV/bin/python" -c 'import tensorflow, official' 2>/dev/null; then
    echo "[check-tf-cvrl] creating the TF venv $TF_VENV"
    python3 -m venv "$TF_VENV"
    "$TF_VENV/bin/pip" install -q --upgrade pip
    "$TF_VENV/bin/pip" install -q -r tools/tf/requirements.txt
fi
venv_done=$(date +%s)
echo "[check-tf-cvrl] TF venv ready in $((venv_done - start)) s"
mkdir -p "$WORK"
TF_CPP_MIN_LOG_LEVEL=2 "$TF_VENV/bin/python" tools/tf/make_cvrl_goldens.py \
    --out "$WORK/goldens" --full-dir "$WORK/full"
tf_done=$(date +%s)
(cd "$WORK/goldens" && find . -type f ! -name checkpoint | sort | while read -r f; do
    if cmp -s "$f" "$OLDPWD/tests/data/tf_cvrl/$f"; then
        echo "[check-tf-cvrl] golden $f: identical to tests/data/tf_cvrl"
    else
        echo "[check-tf-cvrl] golden $f: DIFFERS from tests/data/tf_cvrl"
    fi
done)
"$PY" tools/convert_tf_cvrl.py "$WORK/full/r3d50_cvrl_backbone-1" \
    "$WORK/converted" --check --tf-python "$TF_VENV/bin/python"
end=$(date +%s)
echo "[check-tf-cvrl] passed: venv $((venv_done - start)) s, TF goldens" \
    "$((tf_done - venv_done)) s, conversion and check $((end - tf_done)) s," \
    "total $((end - start)) s"
