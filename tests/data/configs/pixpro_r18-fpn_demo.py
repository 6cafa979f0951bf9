# The PixPro demo config with FPN pre-training: mmdet's FPN (P2-P6) on a ResNet-18, loss on
# P3-P6 (8, 4, 2, 1 cells at 64 px).
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    neck=dict(type='mmdet.FPN', in_channels=[64, 128, 256, 512], out_channels=128, num_outs=5),
    loss_levels=(1, 2, 3, 4),
    projector=dict(in_channels=128))
find_unused_parameters = True
