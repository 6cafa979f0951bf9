# The real FCN R18-D8 segmentation benchmark (configs/benchmarks/mmsegmentation/cityscapes/
# fcn_r18-d8_4xb2-40k_cityscapes-769x769.py: plain ResNet stem, SyncBN, checked backbone
# loading) overridden to a CPU-sized run on mmpcd's SyntheticDenseDataset (6 classes,
# background first, 64 px), a few iterations and one mIoU evaluation by mmseg's IoUMetric.
# Set the checkpoint with --cfg-options model.backbone.init_cfg.checkpoint=PATH.
_base_ = (
    '../../configs/benchmarks/mmsegmentation/cityscapes/fcn_r18-d8_4xb2-40k_cityscapes-769x769.py'
)

num_classes = 6  # synthetic_dense.SEG_CLASSES
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=dict(num_classes=num_classes),
)

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='SyntheticDenseDataset',
        _scope_='mmpcd',  # 'mmpcd.X' names resolve only in direct children of mmengine's root
        num_images=32,
        seed=0,
        pipeline=[dict(type='mmseg.RandomFlip', prob=0.5), dict(type='mmseg.PackSegInputs')],
    ),
)
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='SyntheticDenseDataset',
        _scope_='mmpcd',  # 'mmpcd.X' names resolve only in direct children of mmengine's root
        num_images=8,
        seed=1,
        test_mode=True,
        pipeline=[dict(type='mmseg.PackSegInputs')],
    ),
)
test_dataloader = val_dataloader

max_iters = 8
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(by_epoch=False, interval=max_iters))
