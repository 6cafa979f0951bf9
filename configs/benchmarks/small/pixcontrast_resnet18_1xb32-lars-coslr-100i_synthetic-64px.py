# PixContrast, ResNet-18, on 3200 unlabelled synthetic 64 px images (100 iterations x 32): the
# ResNet-50 ImageNet config (PixPro's recipe) with only the small-scale changes of
# ./_base_/small_scale.py.
_base_ = [
    '../../pixcontrast/pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

model = dict(backbone=dict(depth=18), projector=dict(in_channels=512))

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.pretraining_changes(_base_))
