# PixPro, ResNet-50, ImageNet-1k, 100 epochs: the official recipe
# (zdaxie/PixPro tools/pixpro_base_r50_100ep.sh). 8 GPUs x 128 images, LARS lr 4.0, 5-epoch
# warm-up, cosine, AMP, SyncBN, BYOL-style asymmetric views with RRC scale (0.08, 1) bilinear,
# T = 0.7, gamma = 2, a one-layer PPM transform, momentum 0.99 -> 1.
_base_ = [
    '../_base_/datasets/imagenet_bs64_pixpro.py',
    '../_base_/schedules/lars_coslr-100e_pixpro.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=128)

model = dict(
    type='PixPro',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3,),  # C5, 7 x 7 at 224 px
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True,
    ),  # the official ResNet zero-inits each block's last BN
    # Proj_Head = MLP2d(2048, 4096, 256): 1x1 conv - BN - ReLU - 1x1 conv, per pixel.
    projector=dict(
        type='DenseProjection',
        in_channels=2048,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_global=False,
        norm_cfg=dict(type='SyncBN'),
    ),
    ppm=dict(type='PPM', channels=256, num_layers=1, gamma=2.0, clamp_min=0.0),
    head=dict(type='PixProHead', pos_ratio=0.7),
    # mmengine's EMA convention: target = (1 - m) * target + m * online, annealed to m = 0;
    # 0.01 is the official --pixpro-momentum 0.99.
    base_momentum=0.01,
)

# Mixed precision as upstream (apex O1): fp16 AMP, inherited by every PixPro/PixContrast
# config; bf16 with `--cfg-options optim_wrapper.dtype=bfloat16`. The PPM and the losses run in
# fp32 inside the model.
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
