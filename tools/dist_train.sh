#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: NNODES=2 NODE_RANK=0|1 MASTER_ADDR=<host of rank 0> PORT=29500 on every node.
# Without CUDA the processes train on the CPU with the gloo backend (GPUS = number of processes).
set -euo pipefail
source "$(dirname "$0")/launch.sh"
require_args 2 'CONFIG GPUS [train.py options]' "$@"
torchrun_tool train.py "$2" "$1" --launcher pytorch "${@:3}"
