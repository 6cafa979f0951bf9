#!/usr/bin/env bash
# Linear probes (configs/benchmarks/mmpretrain): the checkpoint's backbone.* initialises the
#   frozen backbone.
# Usage: [WORK_DIR=...] tools/benchmarks/mmpretrain/dist_train_linear.sh CONFIG
#   PRETRAIN_CHECKPOINT GPUS [train.py options, e.g. --cfg-options ...]
# Runs mmpcd's tools/train.py under torchrun (no `mim`); the full pre-training checkpoint works.
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
dist_benchmark backbone "$@"
