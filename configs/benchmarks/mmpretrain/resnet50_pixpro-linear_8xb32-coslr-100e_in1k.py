# PixPro's own linear evaluation (zdaxie/PixPro main_linear.py with the defaults of
# contrast/option.py for stage='linear'): frozen ResNet-50, an fc on the pooled C5 (no BN),
# SGD lr 30 at total batch 256, momentum 0.9, no weight decay, 5 epochs of linear warm-up from
# lr/100 then cosine to 1e-6 per iteration, 100 epochs, RandomResizedCrop scale (0.08, 1) +
# flip, AMP. The paper reports 55.1 % (PixPro, 100 ep) / 66.3 % (with the instance branch).
# It differs from the MoCo v2 / DenseCL protocol of resnet50_8xb32-linear-steplr-100e_in1k.py
# in the schedule (cosine with warm-up instead of steps at 60/80), AMP, and the backbone's BN:
# main_linear.py:174 trains in `model.train()`, so the frozen backbone normalises with batch
# statistics and its running statistics follow the linear-evaluation data (what validation
# then uses). Here too: the backbone is not frozen by stage (frozen_stages=-1, BN in train
# mode) but gets lr 0 and no weight decay, so its weights stay fixed; this costs the
# backbone's backward pass. mmpretrain's frozen-BN protocol instead:
# `--cfg-options model.backbone.frozen_stages=4`.
_base_ = './resnet50_8xb32-linear-steplr-100e_in1k.py'

model = dict(backbone=dict(frozen_stages=-1, norm_eval=False))
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.0, decay_mult=0.0)}),
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True,
    ),
    # to the end of training (train_cfg.max_epochs = 100)
    dict(
        type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=5, convert_to_iter_based=True
    ),
]
