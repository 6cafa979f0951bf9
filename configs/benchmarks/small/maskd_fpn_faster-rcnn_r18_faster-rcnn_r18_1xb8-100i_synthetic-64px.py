# MasKD stage 2 of the benchmark: the student detector distilled through the stage-1 tokens
# (set model.teacher_ckpt and model.maskd_loss.tokens) with the student budget of
# faster-rcnn_r18_1xb8-100i_synthetic-64px.py and the same box AP evaluation.
_base_ = [
    '../../../projects/maskd/configs/tiny/'
    'maskd_fpn_faster-rcnn_r18_faster-rcnn_r18_tiny_synthetic.py',
    './_base_/small_scale.py',
]

from mmpcd.utils import small_scale  # noqa: E402 - after _base_, else a lazy-import config

model = dict(maskd_loss=dict(custom_mask_warmup=_base_.small_det_iters // 2))

# The small-scale changes (mmpcd/utils/small_scale.py).
globals().update(small_scale.detection_changes(_base_, iters=_base_.small_det_iters))
