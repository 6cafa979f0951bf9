#!/usr/bin/env bash
# mmdet FCOS benchmark (configs/benchmarks/mmdetection/coco/fcos_*): backbone.*, neck.* and
# bbox_head.{cls,reg}_convs.* of a checkpoint written by
#   tools/model_converters/extract_backbone_weights.py SRC DST --fcos
# (PixPro's FPN + head pre-training) initialise the backbone, the FPN and the head's towers.
# Usage: [WORK_DIR=...] tools/benchmarks/mmdetection/dist_train_fcos.sh CONFIG
#   PRETRAIN_CHECKPOINT GPUS [train.py options, e.g. --cfg-options ...]
set -euo pipefail
source "$(dirname "$0")/../pretrain_options.sh"
dist_benchmark fcos "$@"
