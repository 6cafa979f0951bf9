#!/usr/bin/env bash
# Slurm variant of dist_train.sh.
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#        tools/benchmarks/mmsegmentation/slurm_train.sh PARTITION JOB_NAME CONFIG
#        PRETRAIN_CHECKPOINT WORK_DIR [train.py options]
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
slurm_benchmark backbone "$@"
