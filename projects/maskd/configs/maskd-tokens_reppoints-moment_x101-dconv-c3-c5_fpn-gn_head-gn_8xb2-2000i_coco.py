# MasKD stage 1 on the frozen teacher
# mmdet::reppoints/reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_2x_coco.py:
# the official recipe of _base_/maskd-tokens_fpn_8xb2-2000i.py; writes
# <work_dir>/maskd_tokens.pth for stage 2.
_base_ = [
    'mmdet::reppoints/reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_2x_coco.py',
    './_base_/maskd-tokens_fpn_8xb2-2000i.py',
]

model = dict(
    _base_.maskd_tokens.model,
    teacher=_base_.model,
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/'
    'reppoints/reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco/'
    'reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck%2Bhead_2x_coco_20200329-f87da1ea.pth',
)
train_cfg = _base_.maskd_tokens.train_cfg
optim_wrapper = _base_.maskd_tokens.optim_wrapper
param_scheduler = _base_.maskd_tokens.param_scheduler
default_hooks = _base_.maskd_tokens.default_hooks
log_processor = _base_.maskd_tokens.log_processor
