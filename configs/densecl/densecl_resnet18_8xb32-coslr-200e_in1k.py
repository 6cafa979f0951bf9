# DenseCL, ResNet-18, ImageNet-1k, 200 epochs: a small backbone for dense transfer (neck
# widths follow the backbone's 512 channels).
_base_ = './densecl_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512))
