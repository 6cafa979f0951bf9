# PixPro's optimisation (zdaxie/PixPro tools/pixpro_base_r50_100ep.sh): LARS, base lr 1.0 x
# batch/256 = 4.0 at batch 1024, momentum 0.9, weight decay 1e-5; 5 epochs of linear warm-up
# from lr/100, then cosine to 1e-6, both per iteration. (The recipes add AMP, apex O1 upstream.)
# Every 1-D parameter (BN weights and biases) gets neither weight decay nor the LARS trust
# ratio, as the official `add_weight_decay` + LARS: the keys below cover ResNet's BN layers
# (`bn*`, `downsample.1`), the hidden norm of DenseProjection heads (`mlp2.1`) and all biases.
# mmpretrain's LARS uses eta*||w|| / (||g|| + wd*||w||) where the official one uses
# eta*||w|| / ||g + wd*w|| (close, not identical).
optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's constructor, reporting frozen momentum-encoder/teacher parameters once.
    constructor='FrozenAwareOptimWrapperConstructor',
    optimizer=dict(type='LARS', lr=4.0, momentum=0.9, weight_decay=1e-5),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
            'mlp2.1': dict(decay_mult=0, lars_exclude=True),
        }))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=95,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=100,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

# The recipe's lr is for 8 GPUs x 128 images; `--auto-scale-lr` rescales it linearly
# (the authors advise square-root scaling for other batch sizes: lr = 4.0 * sqrt(B / 1024)).
auto_scale_lr = dict(base_batch_size=1024, enable=False)
