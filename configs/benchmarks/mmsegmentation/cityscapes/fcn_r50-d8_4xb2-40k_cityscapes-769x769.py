# FCN R50-D8 on Cityscapes, 769x769 crops, 40k iterations (4 GPUs x 2 images): the DenseCL /
# PixPro segmentation benchmark on mmseg's own config.
# The known pitfall: mmseg's FCN uses ResNetV1c (deep 3-conv stem), which leaves an SSL
# ResNet's `conv1`/`bn1` unloaded (DenseCL issues #3/#38). This benchmark uses the plain
# `ResNet` stem of the pre-trained network and drops the V1c ImageNet weights. SyncBN, BN
# trained, nothing frozen (mmseg's defaults already). The backbone comes from the full
# pre-training checkpoint's `backbone.*` (tools/benchmarks/mmsegmentation/dist_train.sh CONFIG
# CHECKPOINT GPUS); mmpcd's `Pretrained` logs the loaded count and stops when none fit.
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        deep_stem=False,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.'),
    ),
)
