# A tiny DenseCL (ResNet-18, narrow neck, short queue) for the checkpoint-converter tests.
# Self-contained (no _base_) and names mmpretrain's DenseCL explicitly, so it does not depend
# on mmpcd's own DenseCL, which uses the same parameter and buffer names.
default_scope = 'mmpcd'

model = dict(
    type='mmpretrain.DenseCL',
    queue_len=32,
    feat_dim=16,
    momentum=0.001,
    loss_lambda=0.5,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet', depth=18, in_channels=3, out_indices=[3], norm_cfg=dict(type='BN')),
    neck=dict(
        type='DenseCLNeck', in_channels=512, hid_channels=64, out_channels=16, num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
