# DenseCL, ResNet-50, ImageNet-1k, 200 epochs: the official recipe (8 GPUs x 32 images,
# SGD lr 0.03, cosine, MoCo v2 augmentation with RRC scale (0.2, 1)).
# Upstream trains in fp32; `--amp` adds fp16 AMP (bf16: `--cfg-options optim_wrapper.dtype=
# bfloat16`), with the dense matching in fp32 (docs/en/user_guides/pretrain.md, "AMP").
_base_ = [
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='DenseCL',
    queue_len=65536,
    feat_dim=128,
    # mmengine's EMA convention: target = (1 - m) * target + m * online, i.e. the official
    # momentum 0.999 is written 0.001 here (values > 0.5 are rejected with an explanation).
    momentum=0.001,
    loss_lambda=0.5,
    matching='backbone',  # correspondence from backbone features, as the paper's best setting
    # The official initialisation: Kaiming normal with fan_in for the backbone's convs
    # (openselfsup ResNet.init_weights) and the global MLP's Linear layers (necks.py
    # _init_weights 'kaiming'); the dense 1x1 convs keep PyTorch's default. mmpretrain's
    # ResNet would use fan_out.
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d'], mode='fan_in'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
        ],
    ),
    neck=dict(
        type='DenseProjection',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_grid=None,
        init_cfg=dict(type='Kaiming', layer='Linear', mode='fan_in'),
    ),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
)
# As in the upstream configs; costs one graph traversal per iteration under DDP.
find_unused_parameters = True

default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook', interval=10, max_keep_ckpts=3))
