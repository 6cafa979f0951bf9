# PixPro, ResNet-50, ImageNet-1k, 400 epochs (tools/pixpro_base_r50_400ep.sh): the 100-epoch
# recipe with a longer cosine.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

train_cfg = dict(max_epochs=400)  # the cosine follows (it ends with training)
