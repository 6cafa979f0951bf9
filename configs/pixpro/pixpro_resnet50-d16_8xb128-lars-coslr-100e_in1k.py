# PixPro with a dilated C5 (output stride 16, the official code's `--arch resnet50_16s`,
# contrast/resnet.py:131-134, 263-264): layer4 keeps stride 1 and dilates its 3x3 convs by 2
# in every block, so the PixPro loss sees a 14 x 14 map at 224 px instead of 7 x 7 (4x the
# pixel pairs and PPM cost). The weights have ResNet-50's shapes and load into any ResNet-50,
# e.g. the dilated backbones of mmseg's FCN/DeepLabV3.
_base_ = './pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)))
