# mmpretrain inheritance check: mmpretrain's DenseCL config, shrunk to a ResNet-18.
_base_ = 'mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(
    queue_len=64,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=64, out_channels=128))
