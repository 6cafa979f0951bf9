# PCD with the official code's Barlow Twins ResNet-50 teacher (pcd/teacher_model/
# bt_resnet50.py): the teacher's 3-layer 8192-wide projector as a SpatialAdaptor, and a student
# head of the same shape: a 3-layer 8192-wide projector and a 3-layer predictor, no conv bias
# (bt_resnet50.py:10-27). The queue holds 65,536 x 8192 floats (2 GiB). Name the official
# checkpoint (facebookresearch/barlowtwins resnet50_full.pth layout: module.backbone.*,
# module.projector.*) in teacher_checkpoint.
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    feat_dim=8192,
    neck=dict(
        hid_channels=8192,
        out_channels=8192,
        num_layers=3,
        projector_bias=(False, False, False),
        predictor_bias=(False, False, False),
    ),
    teacher=dict(
        adaptor=dict(channels=(2048, 8192, 8192, 8192), bias=False), layout='barlow_twins'
    ),
)
