#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#        tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
set -euo pipefail
source "$(dirname "$0")/launch.sh"
require_args 4 'PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]' "$@"
srun_tool train.py "$1" "$2" "$3" --work-dir="$4" --launcher=slurm "${@:5}"
