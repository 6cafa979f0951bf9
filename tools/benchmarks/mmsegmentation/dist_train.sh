#!/usr/bin/env bash
# mmseg benchmarks (configs/benchmarks/mmsegmentation): the checkpoint's backbone.* initialises
#   the plain-stem ResNet.
# Usage: [WORK_DIR=...] tools/benchmarks/mmsegmentation/dist_train.sh CONFIG
#   PRETRAIN_CHECKPOINT GPUS [train.py options, e.g. --cfg-options ...]
# Runs mmpcd's tools/train.py under torchrun (no `mim`); the full pre-training checkpoint works.
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
dist_benchmark backbone "$@"
