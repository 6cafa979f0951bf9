# Ablation: the released code's pairing, student(v1) pixel (i, j) <-> teacher(v2) pixel (i, j).
# With independent crops and flips these pixels do not show the same image content.
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(pairing='cross_view_grid')
