# Ablation: student(v1) <-> teacher(v2) (and v2 <-> v1) on the intersection of the two crops,
# both maps resampled there with mmpcd.ops.align_views (flip-aware); images whose crops do not
# overlap are left out of the loss. An extension, not part of the paper.
_base_ = './pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'

model = dict(pairing='cross_view_aligned')
