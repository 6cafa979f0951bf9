# FCN R18-D8 on VOC12aug 512x512, 20k iterations: the R50 benchmark (plain ResNet stem, see
# there) with a ResNet-18; head widths as mmseg's own R18 FCN.
_base_ = './fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64),
)
