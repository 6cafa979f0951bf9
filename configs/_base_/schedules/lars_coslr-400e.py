# LARS + linear warm-up + cosine (PixPro / PCD / BYOL recipe: lr 1.0 x batch/256, wd 1e-5).
# BN parameters and biases get neither weight decay nor the LARS trust ratio.
optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's constructor, reporting frozen momentum-encoder/teacher parameters once.
    constructor='FrozenAwareOptimWrapperConstructor',
    optimizer=dict(type='LARS', lr=4.0, momentum=0.9, weight_decay=1e-5),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            # the BN of the residual shortcut is named downsample.1 in ResNet
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=390,
        eta_min=0.,
        by_epoch=True,
        begin=10,
        end=400,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=400)

auto_scale_lr = dict(base_batch_size=1024, enable=False)
