#!/usr/bin/env bash
# mmdet FPN benchmarks (configs/benchmarks/mmdetection/coco/*fpn*): the checkpoint's backbone.*
#   initialises the backbone; INIT_FPN=1 also loads neck.* (PixPro-FPN) into the FPN.
# Usage: [WORK_DIR=...] tools/benchmarks/mmdetection/dist_train_fpn.sh CONFIG
#   PRETRAIN_CHECKPOINT GPUS [train.py options, e.g. --cfg-options ...]
# Runs mmpcd's tools/train.py under torchrun (no `mim`); the full pre-training checkpoint works.
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
dist_benchmark backbone "$@"
