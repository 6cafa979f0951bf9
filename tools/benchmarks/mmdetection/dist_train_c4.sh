#!/usr/bin/env bash
# mmdet C4 benchmarks (*-c4_*): the checkpoint's backbone.* initialises the backbone (res1-4)
#   and the RoI shared head (res5, backbone.layer4.*).
# Usage: [WORK_DIR=...] tools/benchmarks/mmdetection/dist_train_c4.sh CONFIG
#   PRETRAIN_CHECKPOINT GPUS [train.py options, e.g. --cfg-options ...]
# Runs mmpcd's tools/train.py under torchrun (no `mim`); the full pre-training checkpoint works.
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
dist_benchmark c4 "$@"
