# MasKD stage 1 of the benchmark: receptive tokens learnt on the frozen detector teacher
# (set model.teacher_ckpt) on the small benchmark's synthetic images, 50 iterations x 8.
_base_ = [
    '../../../projects/maskd/configs/tiny/maskd-tokens_faster-rcnn_r18_tiny_synthetic.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

# The small-scale changes (mmpcd/utils/small_scale.py); tokens only: no box AP.
globals().update(
    small_scale.detection_changes(_base_, iters=_base_.small_token_iters, evaluate=False)
)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=_base_.small_token_iters,
        eta_min=1e-6,
        by_epoch=False,
        begin=0,
        end=_base_.small_token_iters,
    )
]
