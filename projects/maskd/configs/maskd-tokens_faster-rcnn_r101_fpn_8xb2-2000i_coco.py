# MasKD stage 1 on the frozen teacher
# mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py:
# the official recipe of _base_/maskd-tokens_fpn_8xb2-2000i.py; writes
# <work_dir>/maskd_tokens.pth for stage 2.
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py',
    './_base_/maskd-tokens_fpn_8xb2-2000i.py',
]

model = dict(
    _base_.maskd_tokens.model,
    teacher=_base_.model,
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/'
    'faster_rcnn/faster_rcnn_r101_fpn_2x_coco/'
    'faster_rcnn_r101_fpn_2x_coco_bbox_mAP-0.398_20200504_210455-1d2dac9c.pth',
)
train_cfg = _base_.maskd_tokens.train_cfg
param_scheduler = _base_.maskd_tokens.param_scheduler
default_hooks = _base_.maskd_tokens.default_hooks
log_processor = _base_.maskd_tokens.log_processor
# Official Faster R-CNN recipe: SGD lr 0.1 (momentum 0.9, weight decay 1e-4 of the base).
optim_wrapper = dict(optimizer=dict(lr=0.1))
