# The PixPro demo config with FPN + FCOS head pre-training (R18 widths, 128-channel FPN and
# towers): loss on both towers at P3-P5 (8, 4, 2 cells at 64 px).
_base_ = '../../../configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    neck=dict(
        type='FPNWithHeadTowers',
        fpn=dict(
            type='mmdet.FPN',
            in_channels=[64, 128, 256, 512],
            out_channels=128,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=5,
            relu_before_extra_convs=True),
        head=dict(
            _scope_='mmdet',  # its losses are mmdet's
            type='FCOSHead',
            num_classes=4,
            in_channels=128,
            stacked_convs=2,
            feat_channels=128,
            strides=[8, 16, 32, 64, 128]),
        levels=(0, 1, 2)),
    projector=dict(in_channels=128))
find_unused_parameters = True
