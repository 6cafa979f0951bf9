# mmpretrain's MoCo v2, ResNet-18, on 3200 unlabelled synthetic 64 px images (100 iterations
# x 32): mmpretrain's own ResNet-50 config with only the small-scale changes of
# ./_base_/small_scale.py; neck widths follow the backbone's 512 channels, as DenseCL's R18.
_base_ = [
    'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

model = dict(
    queue_len=_base_.small_queue_len,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
)

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.pretraining_changes(_base_))
