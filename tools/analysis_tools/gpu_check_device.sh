#!/usr/bin/env bash
# The GPU check in one call on a machine that has a CUDA torch, nvcc and Python but no network
# and no OpenMMLab packages (e.g. a lent H100/H200): install the carried wheels, build mmcv
# without ops and mmpcd._ext with CUDA, run gpu_check.py, and leave the table, the JSON and
# the logs in $OUT. Run from anywhere; it works in the repository that holds it.
#
#   bash tools/analysis_tools/gpu_check_device.sh
#
# Environment (all optional):
#   WHEELS=.whl           carried wheels and the mmcv sdist (mmcv-2.1.0.tar.gz); how to make
#                         the folder: docs/en/get_started.md, "GPU check"
#   SITE=/tmp/site        where they are installed (put first on PYTHONPATH)
#   OUT=gpu_check_out     results: gpu_check.json, gpu_check.md, gpu_check.log, setup.log,
#                         build.log
#   PYTHON=python3        the interpreter that has torch
#   SKIP_BUILD=1          keep an mmpcd/_ext*.so that is already built
#   GPU_CHECK_ARGS        arguments of gpu_check.py (default: --budget-s 300)
#   GPU_CHECK_TIMEOUT=480 seconds gpu_check.py may run (it finishes its report before)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
PYTHON="${PYTHON:-python3}"
WHEELS="${WHEELS:-.whl}"
SITE="${SITE:-/tmp/site}"
OUT="${OUT:-gpu_check_out}"
GPU_CHECK_ARGS="${GPU_CHECK_ARGS:---budget-s 300}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SECONDS=0

step() { echo "[gpu_check_device ${SECONDS}s] $*"; }
fail() {
    echo "[gpu_check_device] $1" >&2
    [ -f "${2:-}" ] && tail -n 40 "$2" >&2
    exit 1
}

: >"$OUT/setup.log"
if compgen -G "$WHEELS/*.whl" >/dev/null; then
    step "installing $(ls "$WHEELS"/*.whl | wc -l) carried wheels into $SITE"
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" "$WHEELS"/*.whl >>"$OUT/setup.log" 2>&1 ||
        fail "installing the wheels failed (see setup.log)" "$OUT/setup.log"
fi
export PYTHONPATH="$REPO_ROOT:$SITE${PYTHONPATH:+:$PYTHONPATH}"

MMCV_SDIST="$(ls "$WHEELS"/mmcv-*.tar.gz 2>/dev/null | head -n 1 || true)"
if ! "$PYTHON" -c 'import mmcv' 2>/dev/null; then
    [ -n "$MMCV_SDIST" ] || fail "mmcv is not installed and $WHEELS holds no mmcv sdist"
    # The pre-training algorithms need no mmcv ops: a pure-Python build takes seconds.
    step "building $(basename "$MMCV_SDIST") without ops"
    MMCV_WITH_OPS=0 "$PYTHON" -m pip install -q --no-index --no-deps --no-build-isolation \
        --no-compile --no-cache-dir --target "$SITE" "$MMCV_SDIST" >>"$OUT/setup.log" 2>&1 ||
        fail "building mmcv failed (see setup.log)" "$OUT/setup.log"
fi
"$PYTHON" -c 'import mmcv, mmengine, mmpretrain, torch' >>"$OUT/setup.log" 2>&1 ||
    fail "mmcv/mmengine/mmpretrain do not import (see setup.log)" "$OUT/setup.log"

if [ -z "${SKIP_BUILD:-}" ]; then
    ARCH="$("$PYTHON" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')"
    step "building mmpcd._ext with CUDA for sm_${ARCH/./}"
    FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$ARCH" MAX_JOBS="$(nproc)" \
        "$PYTHON" setup.py build_ext --inplace >"$OUT/build.log" 2>&1 ||
        fail "building mmpcd._ext failed (see build.log)" "$OUT/build.log"
fi

step "running gpu_check.py $GPU_CHECK_ARGS"
set +e
# shellcheck disable=SC2086
timeout "${GPU_CHECK_TIMEOUT:-480}" "$PYTHON" tools/analysis_tools/gpu_check.py \
    --out-dir "$OUT" $GPU_CHECK_ARGS 2>&1 | tee "$OUT/gpu_check.log"
status=${PIPESTATUS[0]}
set -e
step "done (gpu_check.py exit status $status); results in $OUT"
exit "$status"
