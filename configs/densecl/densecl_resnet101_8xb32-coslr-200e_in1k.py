# DenseCL, ResNet-101, ImageNet-1k, 200 epochs (the README's R101 model).
_base_ = './densecl_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(backbone=dict(depth=101))
