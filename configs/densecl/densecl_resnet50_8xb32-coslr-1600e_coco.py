# DenseCL, ResNet-50, COCO train2017 (unlabeled), 1600 epochs (the README's second COCO model).
_base_ = './densecl_resnet50_8xb32-coslr-800e_coco.py'

param_scheduler = [dict(type='CosineAnnealingLR', T_max=1600, by_epoch=True, begin=0, end=1600)]
train_cfg = dict(max_epochs=1600)
