# DenseCL, ResNet-50, COCO train2017 (unlabeled), 1600 epochs (the README's second COCO model).
_base_ = './densecl_resnet50_8xb32-coslr-800e_coco.py'

train_cfg = dict(max_epochs=1600)
