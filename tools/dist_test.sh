#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT as for dist_train.sh.
set -euo pipefail
source "$(dirname "$0")/launch.sh"
require_args 3 'CONFIG CHECKPOINT GPUS [test.py options]' "$@"
torchrun_tool test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
