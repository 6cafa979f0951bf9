# PCD with a MobileNetV3-Large student (the smaller one), distilled from a ResNet-18 pre-trained
# by this benchmark: the MobileNetV3 ImageNet config with only the small-scale changes of
# ./_base_/small_scale.py; see the ResNet-18 student's config for the
# teacher.
_base_ = [
    '../../pcd/pcd_mobilenetv3-large_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

teacher_checkpoint = None  # a MoCo v3-layout teacher checkpoint

model = dict(
    queue_len=_base_.small_queue_len,
    neck=dict(mhsa=dict(feat_size=_base_.small_img_size // 32)),  # the stride-32 map's side
    teacher=dict(
        backbone=dict(depth=18),
        adaptor=dict(channels=(512, 4096, 256), bias=(False, True)),
        checkpoint=teacher_checkpoint,
    ),
)

# The small-scale changes (mmpcd/utils/small_scale.py); the online probe reads
# MobileNetV3-Large's stride-8/16/32 outputs (layers 6, 12, 16) instead of ResNet's C3-C5.
globals().update(small_scale.pretraining_changes(_base_, probe_stages=(6, 12, 16)))
