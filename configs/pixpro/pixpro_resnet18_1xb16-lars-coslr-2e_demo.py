# PixPro with a ResNet-18 for two epochs on the embedded photographs at 64 px: a smoke-scale
# run for a CPU (tests and demo), not a recipe (see pixpro_resnet50_8xb128-...-100e_in1k.py).
# The same model and losses as the recipe, with narrower heads.
_base_ = [
    '../_base_/datasets/demo_bs16_pixpro-64px.py',
    '../_base_/schedules/lars_coslr-100e_pixpro.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='PixPro',
    backbone=dict(
        type='ResNet',
        depth=18,
        out_indices=(3,),  # C5, 2 x 2 at 64 px
        norm_cfg=dict(type='SyncBN'),  # reverted to BN on one process and on CPU-only machines
        zero_init_residual=True,
    ),
    projector=dict(
        type='DenseProjection',
        in_channels=512,
        hid_channels=1024,
        out_channels=128,
        num_layers=2,
        with_global=False,
        norm_cfg=dict(type='SyncBN'),
    ),
    ppm=dict(type='PPM', channels=128, num_layers=1, gamma=2.0, clamp_min=0.0),
    head=dict(type='PixProHead', pos_ratio=0.7),
    base_momentum=0.01,
)

# fp32 on a CPU; lr 1.0 x 16 / 256 by the recipe's linear rule.
optim_wrapper = dict(optimizer=dict(lr=0.0625))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', T_max=2, eta_min=1e-6, by_epoch=True, begin=0, end=2),
]
train_cfg = dict(max_epochs=2)

default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
