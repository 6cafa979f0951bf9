# Linear probe of a pre-trained ResNet-50 on ImageNet-1k: the MoCo v2 / DenseCL protocol of
# mmpretrain (frozen backbone, SGD lr 30, no weight decay, steps at 60/80 of 100 epochs, batch
# 8 x 32). The backbone comes from the full pre-training checkpoint's `backbone.*`
# (tools/benchmarks/mmpretrain/dist_train_linear.sh CONFIG CHECKPOINT GPUS); mmpcd's
# `Pretrained` logs the loaded count and stops when none fit.
_base_ = 'mmpretrain::densecl/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        frozen_stages=4,
        init_cfg=dict(
            _delete_=True, type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.'
        ),
    )
)
