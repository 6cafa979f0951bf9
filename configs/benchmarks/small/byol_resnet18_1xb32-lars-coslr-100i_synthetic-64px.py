# mmpretrain's BYOL, ResNet-18, on 3200 unlabelled synthetic 64 px images (100 iterations x
# 32): mmpretrain's own ResNet-50 config with only the small-scale changes of
# ./_base_/small_scale.py.
_base_ = [
    'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

model = dict(backbone=dict(depth=18), neck=dict(in_channels=512))

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.pretraining_changes(_base_))
