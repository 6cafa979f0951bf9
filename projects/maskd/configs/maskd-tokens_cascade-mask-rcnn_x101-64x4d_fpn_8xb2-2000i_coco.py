# MasKD stage 1 on the frozen teacher
# mmdet::cascade_rcnn/cascade-mask-rcnn_x101-64x4d_fpn_20e_coco.py:
# the official recipe of _base_/maskd-tokens_fpn_8xb2-2000i.py; writes
# <work_dir>/maskd_tokens.pth for stage 2.
_base_ = [
    'mmdet::cascade_rcnn/cascade-mask-rcnn_x101-64x4d_fpn_20e_coco.py',
    './_base_/maskd-tokens_fpn_8xb2-2000i.py',
]

model = dict(
    _base_.maskd_tokens.model,
    teacher=_base_.model,
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/'
    'cascade_rcnn/cascade_mask_rcnn_x101_64x4d_fpn_20e_coco/'
    'cascade_mask_rcnn_x101_64x4d_fpn_20e_coco_20200512_161033-bdb5126a.pth',
)
train_cfg = _base_.maskd_tokens.train_cfg
param_scheduler = _base_.maskd_tokens.param_scheduler
default_hooks = _base_.maskd_tokens.default_hooks
log_processor = _base_.maskd_tokens.log_processor
# Official Cascade recipe: Adam with weight decay 0.1.
optim_wrapper = dict(
    _base_.maskd_tokens.optim_wrapper, optimizer=dict(type='Adam', lr=0.01, weight_decay=0.1)
)
