# PCD: a ResNet-18 student distilled from a ResNet-18 pre-trained by this benchmark (the PixPro
# run by default), on 3200 unlabelled synthetic 64 px images (100 iterations x 32): the
# ImageNet recipe with only the small-scale changes of ./_base_/small_scale.py. The teacher's
# projector becomes the SpatialAdaptor; tools/benchmarks/dense_bench.py converts the teacher
# checkpoint to the MoCo v3 layout and sets teacher_checkpoint and the adaptor's shape.
_base_ = [
    '../../pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

teacher_checkpoint = None  # a MoCo v3-layout teacher checkpoint (see above)

model = dict(
    queue_len=_base_.small_queue_len,
    neck=dict(mhsa=dict(feat_size=_base_.small_img_size // 32)),  # the C5 map's side
    teacher=dict(
        backbone=dict(depth=18),
        # PixPro's projector: 1x1 conv (no bias) - BN - ReLU - 1x1 conv (bias), 512-4096-256.
        adaptor=dict(channels=(512, 4096, 256), bias=(False, True)),
        checkpoint=teacher_checkpoint,
    ),
)

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.pretraining_changes(_base_))
