# FCN R18-D8 on Cityscapes 769x769, 40k iterations: the R50 benchmark (plain ResNet stem, see
# there) with a ResNet-18 (PCD's students); head widths as mmseg's own R18 FCN.
_base_ = './fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64),
)
