# PCD's optimisation (allo-rene/pcd main_pcd.py, pcd/optimizer.py, pcd/utils.py). The official
# LARS rule (PCDLARS: trust ratio eta * |w| / (|g| + wd * |w|) applied with the lr to the whole
# momentum buffer), eta 1e-3, momentum 0.9, weight decay 1e-5; 1-D parameters (BN weights and
# biases, as the official split_params, and LayerNorms) get neither weight decay nor the trust
# ratio, nor do the MHSA's position tables. lr 1.0 x global batch / 256 = 4.0 at 1024 (the
# released code scales by the per-GPU batch, 128 // 256 = 0 on 8 GPUs: not copied). 10 epochs
# of linear warm-up, per iteration from lr x 1e-4 (upstream: from 0, per integer epoch), then
# cosine to 0 at the end of training.
optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's constructor, reporting frozen momentum-encoder/teacher parameters once.
    constructor='FrozenAwareOptimWrapperConstructor',
    optimizer=dict(type='PCDLARS', lr=4.0, momentum=0.9, weight_decay=1e-5),
    paramwise_cfg=dict(
        custom_keys={
            'pos_embed': dict(decay_mult=0, lars_exclude=True),
            'rel_pos_bias': dict(decay_mult=0, lars_exclude=True),
        }
    ),
)

# Without `end` (and T_max) the cosine runs to train_cfg.max_epochs.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=10, convert_to_iter_based=True
    ),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

auto_scale_lr = dict(base_batch_size=1024, enable=False)
