# The supervised upper reference of the small dense benchmark: a ResNet-18 trained from scratch
# on the dense labels of the same 3200 synthetic 64 px images and the same iterations x batch
# as the pre-training methods, through the FCN R18 transfer config. Two changes make it train
# what the dense probe reads: the backbone keeps the pre-training strides (no dilation, like
# every probed backbone) and the head sees C3-C5 resized and concatenated, as the probe does.
_base_ = [
    '../mmsegmentation/cityscapes/fcn_r18-d8_4xb2-40k_cityscapes-769x769.py',
    './_base_/small_scale.py',
]

num_classes = 6  # synthetic_dense.SEG_CLASSES
model = dict(
    data_preprocessor=dict(size=(_base_.small_img_size, _base_.small_img_size)),
    backbone=dict(strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1), init_cfg=None),
    decode_head=dict(
        in_channels=[128, 256, 512],
        in_index=[1, 2, 3],
        input_transform='resize_concat',
        channels=128,
        num_convs=1,
        concat_input=False,
        num_classes=num_classes,
    ),
    auxiliary_head=None,
)

train_dataloader = dict(
    batch_size=_base_.small_batch,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        **_base_.small_train_dataset,
        pipeline=[dict(type='mmseg.RandomFlip', prob=0.5), dict(type='mmseg.PackSegInputs')],
    ),
)
# Training only: the benchmark evaluates the backbone with the dense probe.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=_base_.small_iters)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=_base_.small_iters, by_epoch=False)
]
# The recipe's lr (4 GPUs x 2 images) scaled linearly to small_batch, as for the others.
auto_scale_lr = dict(enable=True, base_batch_size=8)
custom_hooks = _base_.get('custom_hooks', []) + [_base_.small_probe_hook]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=_base_.small_iters, max_keep_ckpts=1),
)
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
