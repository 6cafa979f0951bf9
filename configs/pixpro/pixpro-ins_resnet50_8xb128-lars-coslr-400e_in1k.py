# PixPro with the instance branch, ResNet-50, 400 epochs (the README's 41.4 COCO FPN row).
_base_ = './pixpro-ins_resnet50_8xb128-lars-coslr-100e_in1k.py'

train_cfg = dict(max_epochs=400)  # the cosine follows (it ends with training)
