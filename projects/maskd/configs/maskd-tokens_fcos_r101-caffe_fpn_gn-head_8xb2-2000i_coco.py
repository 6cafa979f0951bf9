# MasKD stage 1 on the frozen teacher
# mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py:
# 6 receptive tokens per FPN level, official recipe (2000 iterations, cosine to 1e-6, no
# warm-up; 8 GPUs x 2 images). Writes <work_dir>/maskd_tokens.pth for stage 2.
_base_ = 'mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

teacher = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MaskLearner',
    teacher=teacher,
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/'
    'fcos/fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco/'
    'fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco-511424d6.pth',
    channels=[256] * 5,
    module='neck',
    num_tokens=6,
    weight_mask=True)

max_iters = 2000
# Validation at the end measures the teacher on masked features (a sanity metric).
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
# Adam replaces SGD; the FCOS base's gradient clipping at 35 stays, as upstream (only
# `optimizer` was _delete_d there, not `optimizer_config`).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=0.01, weight_decay=1e-3),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-6, by_epoch=False, begin=0,
         end=max_iters)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=500))
custom_hooks = [dict(_scope_='mmpcd', type='ExportTokensHook', interval=500)]
log_processor = dict(by_epoch=False)
