# PixPro with FPN pre-training (P3-P6), ResNet-50, 100 epochs. This follows the paper's
# description (Sec. 4.4, "pre-training FPN"); no code for it was ever released upstream.
# The FPN is exactly Mask R-CNN R50-FPN's (mmdet FPN, 5 outputs P2-P6, P6 by max-pooling), so
# `init_cfg=dict(type='Pretrained', checkpoint=..., prefix='neck.')` in the mmdet config loads
# it key for key; the loss uses P3-P6 (28, 14, 7, 4 cells at 224 px), each level with its
# own positive mask, averaged over the levels. P2's lateral and output convs get no gradient
# (hence find_unused_parameters) and transfer as initialised.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    neck=dict(type='mmdet.FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    loss_levels=(1, 2, 3, 4),
    projector=dict(in_channels=256),
)
find_unused_parameters = True
