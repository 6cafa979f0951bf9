# Linear probe of a PCD-distilled ResNet-18 on ImageNet-1k (mmpretrain's MoCo v3 linear
# protocol: frozen backbone in eval mode, SGD lr 0.4, cosine, 90 epochs, batch 8 x 128).
# PCD's own linear protocol is not published. Pass the PCD checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=PATH (only `backbone.*` is read, so the
# MHSA, projector, predictor and teacher are left out).
_base_ = [
    'mmpretrain::_base_/models/resnet18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_100e.py',
    'mmpretrain::_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=128)

model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    )
)

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.4, momentum=0.9, weight_decay=0.0)
)

param_scheduler = [dict(type='CosineAnnealingLR', T_max=90, by_epoch=True, begin=0, end=90)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=90)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
