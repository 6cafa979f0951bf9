# PixPro's optimisation (zdaxie/PixPro tools/pixpro_base_r50_100ep.sh, contrast/lars.py,
# contrast/lr_scheduler.py). The official LARS rule (PixProLARS: trust ratio
# eta * |w| / |g + wd * w|, lr applied outside the momentum buffer), base lr 1.0 x batch / 256 =
# 4.0 at batch 1024, momentum 0.9, weight decay 1e-5; every 1-D parameter (norm weights and
# biases anywhere, the BN of a 2-layer PPM transform included) gets neither weight decay nor
# the trust ratio, as the official add_weight_decay. 5 epochs of linear warm-up from lr / 100,
# then cosine to 1e-6 at the end of training, both per iteration. (The recipes add AMP, apex
# O1 upstream.) mmpretrain's rule instead: optimizer=dict(type='LARS', ...) with
# paramwise_cfg.custom_keys setting lars_exclude=True and decay_mult=0 on the 1-D parameters.
optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's constructor, reporting frozen momentum-encoder/teacher parameters once.
    constructor='FrozenAwareOptimWrapperConstructor',
    optimizer=dict(type='PixProLARS', lr=4.0, momentum=0.9, weight_decay=1e-5),
)

# Without `end` (and T_max) the cosine runs to train_cfg.max_epochs: a longer recipe only
# changes max_epochs.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=5, convert_to_iter_based=True
    ),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

# The recipe's lr is for 8 GPUs x 128 images; `--auto-scale-lr` rescales it linearly
# (the authors advise square-root scaling for other batch sizes: lr = 4.0 * sqrt(B / 1024)).
auto_scale_lr = dict(base_batch_size=1024, enable=False)
