# DenseCL, ResNet-18, on 3200 unlabelled synthetic 64 px images (100 iterations x 32): the
# ResNet-18 ImageNet config (DenseCL's recipe) with only the small-scale changes of
# ./_base_/small_scale.py.
_base_ = [
    '../../densecl/densecl_resnet18_8xb32-coslr-200e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

model = dict(queue_len=_base_.small_queue_len)

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.pretraining_changes(_base_))
