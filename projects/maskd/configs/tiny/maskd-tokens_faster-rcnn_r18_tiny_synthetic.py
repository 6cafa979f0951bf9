# MasKD stage 1 on the tiny Faster R-CNN: learn 6 tokens per FPN level (P2-P6) on the frozen
# teacher with its own detection loss + Dice; writes <work_dir>/maskd_tokens.pth.
# PYTHONPATH=. python tools/train.py <this config> \
#     --cfg-options model.teacher_ckpt=<teacher checkpoint>
_base_ = './faster-rcnn_r18_tiny_synthetic.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

teacher = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MaskLearner',
    teacher=teacher,
    teacher_ckpt=None,  # required: --cfg-options model.teacher_ckpt=PATH
    channels=[32] * 5,
    module='neck',
    num_tokens=6,
    weight_mask=True,
)

# Official stage-1 recipe scaled down: Adam 0.01, wd 1e-3, cosine to 1e-6, no warm-up.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01, weight_decay=1e-3)
)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, eta_min=1e-6, by_epoch=False, begin=0, end=8)
]
custom_hooks = [dict(_scope_='mmpcd', type='ExportTokensHook')]
