# PixPro with a ResNet-50-D (the official code's `--arch resnet50_d`, contrast/resnet.py:115-120,
# 178-183, 267-268): a deep stem of three 3x3 convs (32, 32, 64 channels) instead of the 7x7
# conv, and average-pooled shortcuts (AvgPool, then a stride-1 1x1 conv) where a block
# downsamples. For mmdet's / mmseg's ResNetV1d, export the backbone with
# `tools/model_converters/extract_backbone_weights.py SRC DST --layout mmdet` (their stem keys
# differ from mmpretrain's).
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(backbone=dict(type='ResNetV1d'))
