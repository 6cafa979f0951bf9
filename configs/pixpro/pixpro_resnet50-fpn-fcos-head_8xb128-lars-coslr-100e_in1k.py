# PixPro with FPN and head pre-training for FCOS (the paper's Table 5: "pre-training FPN and
# head", up to +1.2 mAP for FCOS on COCO), ResNet-50, 100 epochs. No code was released: the
# FPN and the head are mmdet's FCOS R50 ones (FPN P3-P7 from C3-C5, P6/P7 by strided convs on
# P5, ReLU before them; FCOSHead: 4 x conv3x3-GN(32)-ReLU towers for classification and for
# regression, FCOS's initialisation), the PixPro loss runs on the output of both towers at
# P3-P6 (28, 14, 7, 4 cells at 224 px), each level and tower with its own positive mask,
# averaged. The predictors (conv_cls, conv_reg, conv_centerness) and P7 get no gradient.
# Transfer: `tools/model_converters/extract_backbone_weights.py SRC DST --fcos` writes the
# backbone, FPN and towers in mmdet FCOS's layout for
# configs/benchmarks/mmdetection/coco/fcos_r50_fpn_gn-head_1x_coco.py.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    neck=dict(
        type='FPNWithHeadTowers',
        fpn=dict(
            type='mmdet.FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=5,
            relu_before_extra_convs=True,
        ),
        head=dict(
            _scope_='mmdet',  # its losses are mmdet's
            type='FCOSHead',
            num_classes=80,
            in_channels=256,
            stacked_convs=4,
            feat_channels=256,
            strides=[8, 16, 32, 64, 128],
        ),
        levels=(0, 1, 2, 3),
    ),
    projector=dict(in_channels=256),
)
find_unused_parameters = True
