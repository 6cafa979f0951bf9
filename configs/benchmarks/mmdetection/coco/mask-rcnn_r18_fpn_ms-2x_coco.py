# Mask R-CNN R18-FPN 2x on COCO: the R18-FPN 1x benchmark for 24 epochs (steps at 16, 22).
_base_ = './mask-rcnn_r50_fpn_ms-2x_coco.py'

model = dict(backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
