#!/usr/bin/env bash
# Create .venv/ in the repository root and install the pinned mmpcd stack into it.
#
# Idempotent: a second run checks a stamp (hash of the requirement files and this script)
# plus a quick import test and returns in seconds. Used by `make setup`, `make demo`, `make test`.
#
# Environment variables:
#   TORCH=pinned|system  pinned (default): install torch/torchvision from requirements/torch.txt.
#                        system: make the venv with --system-site-packages and reuse the
#                        machine's torch (e.g. a CUDA build on a GPU box); mmcv is then built
#                        with CUDA ops when nvcc is present.
#   PYTHON               interpreter used to create the venv (default: python3).
#   VENV                 where to create the venv (default: .venv in the repository root;
#                        the Makefile targets always use .venv).
#   MMPCD_CACHE_DIR      where built mmcv wheels and build logs are kept
#                        (default: ${XDG_CACHE_HOME:-~/.cache}/mmpcd).
#   MMPCD_SETUP_CHECK=1  only check: exit 0 if the venv is up to date for this checkout, 3 if
#                        not (nothing is installed).
set -euo pipefail
# The whole script is one compound command, so bash parses it before running any of it: editing
# this file while a setup is running cannot break that run.
{

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$REPO/.venv}
VPY="$VENV/bin/python"
PYTHON=${PYTHON:-python3}
TORCH=${TORCH:-pinned}
CACHE_DIR=${MMPCD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mmpcd}
MMCV_VERSION=2.1.0
JOBS=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> [mmpcd setup] %s\n' "$*"; }
die() {
    printf '\nERROR [mmpcd setup]: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf '  fix: %s\n' "$2" >&2
    exit 1
}
pip_install() { "$VPY" -m pip install --disable-pip-version-check "$@"; }

# Turn a failed command into an actionable message (disk full is the common silent cause).
run_or_die() {
    local what=$1; shift
    if ! "$@"; then
        local free_kb
        free_kb=$(df -Pk "$REPO" | awk 'NR==2 {print $4}')
        if [ "${free_kb:-0}" -lt 1048576 ]; then
            die "$what failed and less than 1 GiB is free on $(df -P "$REPO" | awk 'NR==2 {print $6}')." \
                "free disk space (the venv needs ~7 GiB), then run 'make setup' again."
        fi
        die "$what failed (see the output above)." \
            "check network access to PyPI and run 'make setup' again; 'make clean-venv' starts over."
    fi
}

case "$TORCH" in pinned|system) ;; *) die "TORCH=$TORCH is not understood." "use TORCH=pinned (default) or TORCH=system." ;; esac

stamp_value() {
    # the C++/CUDA sources too: editing them must rebuild mmpcd._ext
    cat "$REPO"/requirements/*.txt "$REPO/setup.py" "${BASH_SOURCE[0]}" \
        $(find "$REPO/mmpcd/ops/csrc" -type f | sort) | sha256sum | cut -c1-16
    echo "torch=$TORCH"
}
STAMP="$VENV/.mmpcd-setup-stamp"

quick_check() {
    "$VPY" - <<'EOF' >/dev/null 2>&1
import os
import mmcv, mmcv.ops, mmengine, mmpretrain, mmdet, mmseg, torch, mmpcd  # noqa: F401
if os.getenv('MMPCD_WITH_OPS', '1') != '0':
    import mmpcd._ext  # noqa: F401
EOF
}

# mmpretrain 1.2.0 subclasses a transformers class that no longer exists in transformers 5.
# Checked before the up-to-date shortcut too: it may have been installed since the last setup.
check_transformers() {
    [ -x "$VPY" ] || return 0
    local version
    version=$("$VPY" -c 'import transformers; print(transformers.__version__)' 2>/dev/null) || return 0
    case "$version" in [0-4].*) return 0 ;; esac
    die "transformers $version is installed; mmpretrain 1.2.0 fails to import with transformers >= 5." \
        "run '$VPY -m pip install \"transformers<5\"' (or uninstall transformers), then 'make setup' again."
}
check_transformers

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_value)" ] && quick_check; then
    echo "[mmpcd setup] .venv is up to date ($("$VPY" -c 'import torch, mmcv; print(f"torch {torch.__version__}, mmcv {mmcv.__version__}")'))."
    exit 0
fi
if [ "${MMPCD_SETUP_CHECK:-0}" = 1 ]; then
    echo "[mmpcd setup] $VENV is not up to date for $REPO (run 'make setup')."
    exit 3
fi

# ---------------------------------------------------------------------------------------------
step "checking the machine"
command -v "$PYTHON" >/dev/null || die "'$PYTHON' was not found." "install Python 3.11, or pass PYTHON=/path/to/python3.11."
"$PYTHON" - <<'EOF' || die "mmpcd needs Python 3.10-3.12 (3.11 is the tested one); '$PYTHON' is $("$PYTHON" -V 2>&1)." "install Python 3.11 and run 'make setup PYTHON=python3.11'."
import sys
sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)
EOF
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || die "'$PYTHON' cannot create virtual environments." "install the venv module (Debian/Ubuntu: apt-get install python3-venv)."
"$PYTHON" - <<'EOF' || die "the Python headers (Python.h) are missing; mmcv's ops cannot be compiled." "install them (Debian/Ubuntu: apt-get install python3-dev)."
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')) else 1)
EOF
command -v g++ >/dev/null || command -v c++ >/dev/null || die "no C++ compiler found; mmcv's ops must be compiled." "install one with C++20 support (Debian/Ubuntu: apt-get install build-essential, gcc >= 10)."

if [ -d "$VENV" ] && [ -f "$VENV/.mmpcd-torch-mode" ] && [ "$(cat "$VENV/.mmpcd-torch-mode")" != "$TORCH" ]; then
    die ".venv was created with TORCH=$(cat "$VENV/.mmpcd-torch-mode"), not TORCH=$TORCH." "run 'make clean-venv' first, then 'make setup TORCH=$TORCH'."
fi
if [ ! -x "$VPY" ]; then
    step "creating .venv with $("$PYTHON" -V 2>&1) (TORCH=$TORCH)"
    if [ "$TORCH" = system ]; then
        "$PYTHON" -c 'import torch' 2>/dev/null || die "TORCH=system, but '$PYTHON' cannot import torch." "install torch for that interpreter first, or use the default TORCH=pinned."
        run_or_die "creating the venv" "$PYTHON" -m venv --system-site-packages "$VENV"
    else
        run_or_die "creating the venv" "$PYTHON" -m venv "$VENV"
    fi
    echo "$TORCH" >"$VENV/.mmpcd-torch-mode"
fi

# ---------------------------------------------------------------------------------------------
step "installing build tools (setuptools<81 keeps pkg_resources for mmcv and mmengine 0.10.7)"
run_or_die "installing build tools" pip_install -q -r "$REPO/requirements/build.txt"

if [ "$TORCH" = pinned ]; then
    if ! "$VPY" -c 'import torch, torchvision' 2>/dev/null; then
        free_kb=$(df -Pk "$REPO" | awk 'NR==2 {print $4}')
        [ "${free_kb:-0}" -ge 8388608 ] || die "torch needs ~6 GiB in .venv but only $((free_kb / 1048576)) GiB are free." "free disk space and run 'make setup' again."
    fi
    step "installing torch and torchvision (requirements/torch.txt, ~1 min when they lie on local disk)"
    run_or_die "installing torch" pip_install -q -r "$REPO/requirements/torch.txt"
fi
"$VPY" -c 'import torch' 2>/dev/null || die "torch does not import in .venv." "run 'make clean-venv' and 'make setup' again."
step "installing mmengine"
run_or_die "installing mmengine" pip_install -q "$(grep -E '^mmengine' "$REPO/requirements/mminstall.txt")"

# ---------------------------------------------------------------------------------------------
# mmcv 2.1.0 has no wheels for this torch: build it from the sdist once, cache the wheel.
mmcv_ok() {
    "$VPY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" >/dev/null 2>&1
}
if ! mmcv_ok; then
    WITH_CUDA=0
    if [ "$TORCH" = system ] && command -v nvcc >/dev/null && "$VPY" -c 'import sys, torch; sys.exit(torch.version.cuda is None)'; then
        WITH_CUDA=1
    fi
    KEY=$("$VPY" -c "
import sys, torch
cuda = 'cu' + torch.version.cuda.replace('.', '') if $WITH_CUDA else 'cpu'
print(f'py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__.split(\"+\")[0]}-{cuda}')")
    WHEEL_DIR="$CACHE_DIR/wheels/mmcv-$MMCV_VERSION-$KEY"
    mkdir -p "$WHEEL_DIR" "$CACHE_DIR/logs" || die "cannot write the wheel cache $CACHE_DIR." "set MMPCD_CACHE_DIR to a writable folder."
    WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$WHEEL" ]; then
        if [ "$WITH_CUDA" = 1 ]; then
            step "building mmcv $MMCV_VERSION ops with CUDA (long: tens of minutes; cached afterwards in $WHEEL_DIR)"
            export FORCE_CUDA=1
        else
            step "building mmcv $MMCV_VERSION ops for the CPU (~10 min on 2 cores, cached afterwards in $WHEEL_DIR)"
            export CUDA_VISIBLE_DEVICES=""  # keep mmcv's setup.py on its CPU-only branch
        fi
        BUILD=$(mktemp -d)
        trap 'rm -rf "$BUILD"' EXIT
        run_or_die "downloading the mmcv $MMCV_VERSION sdist" \
            "$VPY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
            --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD"
        tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
        SRC="$BUILD/mmcv-$MMCV_VERSION"
        # torch >= 2.13 headers refuse anything older than C++20.
        sed -i -e 's/-std=c++17/-std=c++20/g' -e 's/-std=c++14/-std=c++20/g' "$SRC/setup.py"
        grep -q -- '-std=c++20' "$SRC/setup.py" || die "could not patch mmcv's setup.py to C++20." "report this; the sdist layout changed."
        LOG="$CACHE_DIR/logs/mmcv-$MMCV_VERSION-$KEY-$(date +%Y%m%d-%H%M%S).log"
        echo "    build log: $LOG"
        if ! MMCV_WITH_OPS=1 MAX_JOBS=$JOBS "$VPY" -m pip wheel --disable-pip-version-check -v \
            --no-deps --no-build-isolation -w "$WHEEL_DIR" "$SRC" >"$LOG" 2>&1; then
            tail -n 30 "$LOG" >&2
            if grep -q -i 'no space left' "$LOG"; then
                die "building mmcv ran out of disk space." "free a few GiB (the build needs ~2 GiB in /tmp) and run 'make setup' again."
            fi
            if grep -q -E 'C\+\+20|c\+\+20' "$LOG"; then
                die "the compiler does not support C++20, which torch's headers require." "install gcc >= 10 (Debian/Ubuntu: apt-get install g++)."
            fi
            die "building mmcv failed; the last lines of $LOG are above." "fix the cause shown there and run 'make setup' again."
        fi
        WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)
    else
        step "installing the cached mmcv wheel $WHEEL"
    fi
    run_or_die "installing mmcv" pip_install -q --no-deps "$WHEEL"
    # mmcv's own run-time dependencies (its wheel was installed without them).
    run_or_die "installing mmcv's dependencies" pip_install -q addict packaging "opencv-python>=4.5" pyyaml yapf
    mmcv_ok || die "mmcv $MMCV_VERSION was installed but 'import mmcv.ops' fails." "delete $WHEEL_DIR and run 'make setup' again to rebuild it."
fi

# ---------------------------------------------------------------------------------------------
step "installing mmpretrain, mmdet, mmsegmentation and test dependencies (from wheels: 'pkg::' configs need them non-editable)"
run_or_die "installing the OpenMMLab packages" pip_install -q \
    -r "$REPO/requirements/mminstall.txt" -r "$REPO/requirements/optional.txt" \
    -r "$REPO/requirements/runtime.txt" -r "$REPO/requirements/tests.txt"

check_transformers

step "installing mmpcd in editable mode"
# The extension is built separately, in place: pip's editable modes differ between pip
# versions in where (and whether) they put compiled modules.
MMPCD_WITH_OPS=0 run_or_die "installing mmpcd" pip_install -q --no-deps --no-build-isolation -e "$REPO"
if [ "${MMPCD_WITH_OPS:-1}" != 0 ]; then
    step "compiling the mmpcd._ext C++ ops in place (~2-3 min on 2 cores)"
    (cd "$REPO" && MAX_JOBS=$JOBS run_or_die "compiling mmpcd._ext" \
        "$VPY" setup.py -q build_ext --inplace)
fi

quick_check || {
    "$VPY" -c 'import mmcv, mmcv.ops, mmengine, mmpretrain, mmdet, mmseg, torch, mmpcd' || true
    die "the environment was installed but an import fails (see above)." "run 'make clean-venv' and 'make setup' again."
}
stamp_value >"$STAMP"
step "done: $("$VPY" -c 'import torch, mmcv, mmdet, mmseg, mmpretrain; print(f"torch {torch.__version__}, mmcv {mmcv.__version__}, mmpretrain {mmpretrain.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}")')"
exit 0
}
