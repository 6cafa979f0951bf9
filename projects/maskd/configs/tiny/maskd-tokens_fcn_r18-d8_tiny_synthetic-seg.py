# MasKD stage 1 for segmentation on the tiny FCN: 8 tokens on the decode head's logits
# (6 classes), no weighting branch; writes <work_dir>/maskd_tokens.pth.
# PYTHONPATH=. python tools/train.py <this config> \
#     --cfg-options model.teacher_ckpt=<teacher checkpoint>
_base_ = './fcn_r18-d8_tiny_synthetic-seg.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

teacher = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MaskLearner',
    teacher=teacher,
    teacher_ckpt=None,  # required: --cfg-options model.teacher_ckpt=PATH
    channels=[6],
    module='decode_head.conv_seg',
    num_tokens=8,
    weight_mask=False,
)

# Official segmentation stage-1 recipe scaled down: SGD 0.1, wd 1e-3, poly 0.9.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-3),
)
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=False, begin=0, end=8)]
custom_hooks = [dict(_scope_='mmpcd', type='ExportTokensHook')]
