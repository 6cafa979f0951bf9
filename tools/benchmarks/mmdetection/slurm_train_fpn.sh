#!/usr/bin/env bash
# Slurm variant of dist_train_fpn.sh (INIT_FPN=1 as there).
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/slurm_train_fpn.sh PARTITION JOB_NAME CONFIG
#        PRETRAIN_CHECKPOINT WORK_DIR [train.py options]
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
slurm_benchmark backbone "$@"
