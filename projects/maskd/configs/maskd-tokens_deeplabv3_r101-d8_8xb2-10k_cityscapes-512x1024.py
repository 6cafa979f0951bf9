# MasKD stage 1 for segmentation: 8 receptive tokens on the 19-class logits of the frozen
# DeepLabV3 R101-d8 teacher (decode_head.conv_seg), no weighting branch; official recipe
# (10k iterations, SGD 0.1, weight decay 1e-3, poly 0.9, batch 16 = 8 GPUs x 2, 512x1024
# crops). Writes <work_dir>/maskd_tokens.pth. The teacher is mmseg's (80k schedule), not the
# CIRKD one the official code used.
_base_ = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'

custom_imports = dict(imports=['projects.maskd.maskd'], allow_failed_imports=False)

teacher = _base_.model
model = dict(
    _delete_=True,
    _scope_='mmpcd',
    type='MaskLearner',
    teacher=teacher,
    teacher_ckpt='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/'
    'deeplabv3_r101-d8_512x1024_80k_cityscapes/'
    'deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth',
    channels=[19],
    module='decode_head.conv_seg',
    num_tokens=8,
    weight_mask=False,
)

max_iters = 10000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-3),
)
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000))
custom_hooks = [dict(_scope_='mmpcd', type='ExportTokensHook', interval=2000)]
