# Mask R-CNN R18-FPN 1x on COCO: PCD's headline setting (a distilled ResNet-18 student). The
# R50-FPN benchmark's conventions (SyncBN everywhere, norm_eval=False, frozen_stages=-1,
# 4conv1fc box head, multi-scale 640-800) with a ResNet-18: the FPN takes the four stages'
# [64, 128, 256, 512] channels. Launch with dist_train_fpn.sh CONFIG CHECKPOINT GPUS.
_base_ = './mask-rcnn_r50_fpn_ms-1x_coco.py'

model = dict(backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
