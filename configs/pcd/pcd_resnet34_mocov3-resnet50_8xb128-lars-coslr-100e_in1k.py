# PCD with a ResNet-34 student (512 channels at stride 32, like ResNet-18).
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(backbone=dict(depth=34))
