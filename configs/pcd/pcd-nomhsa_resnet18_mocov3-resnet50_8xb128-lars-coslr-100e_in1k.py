# Ablation: PCD without the MHSA plug-in (the student head sees the backbone map directly).
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(neck=dict(mhsa=None))
