# PCD with a MobileNetV3-Large student: its last 1x1 conv (layer16, 960 channels, stride 32)
# feeds the neck, as in the official code. BatchNorm with torch's defaults (eps 1e-5, momentum
# 0.1) as the official pcd/backbone/mobilenetv3.py, not mmpretrain's (1e-3, 0.01).
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV3',
        arch='large',
        out_indices=(16,),
        norm_cfg=dict(type='BN', eps=1e-5, momentum=0.1),
    ),
    neck=dict(in_channels=960, mhsa=dict(in_channels=960)),
)
