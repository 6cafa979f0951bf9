# The released code (allo-rene/pcd @ 6b0ad4d) as far as it is not a crash: no MHSA,
# grid-position pairing across views, a teacher in train-mode BN (batch statistics). The lr
# stays the documented 4.0, not the released 0 (see README).
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(pairing='cross_view_grid', teacher_bn='train', neck=dict(mhsa=None))
