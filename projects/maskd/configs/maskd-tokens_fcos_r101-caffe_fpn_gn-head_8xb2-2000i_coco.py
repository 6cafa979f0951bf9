# MasKD stage 1 on the frozen teacher
# mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py:
# the official recipe of _base_/maskd-tokens_fpn_8xb2-2000i.py; writes
# <work_dir>/maskd_tokens.pth for stage 2.
_base_ = [
    'mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py',
    './_base_/maskd-tokens_fpn_8xb2-2000i.py',
]

model = dict(
    _base_.maskd_tokens.model,
    teacher=_base_.model,
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/'
    'fcos/fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco/'
    'fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco-511424d6.pth',
)
train_cfg = _base_.maskd_tokens.train_cfg
param_scheduler = _base_.maskd_tokens.param_scheduler
default_hooks = _base_.maskd_tokens.default_hooks
log_processor = _base_.maskd_tokens.log_processor
# The FCOS base's gradient clipping at 35 stays, as upstream (only `optimizer` was
# _delete_d there, not `optimizer_config`).
optim_wrapper = dict(_base_.maskd_tokens.optim_wrapper, clip_grad=dict(max_norm=35, norm_type=2))
