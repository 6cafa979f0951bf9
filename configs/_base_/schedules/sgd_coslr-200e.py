# SGD + cosine annealing to 0 without warm-up, per epoch (MoCo v2 / DenseCL recipe: lr 0.03 for
# a batch of 256).
optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's constructor, reporting frozen momentum-encoder/teacher parameters once.
    constructor='FrozenAwareOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9),
)

# Without `end` (and T_max) the cosine runs to train_cfg.max_epochs.
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0)]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

# lr above is for this total batch size; `tools/train.py --auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=256, enable=False)
