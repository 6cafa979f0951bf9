# mmpretrain's MoCo v2, ResNet-18, on 3200 unlabelled synthetic 64 px images (100 iterations
# x 32): mmpretrain's own ResNet-50 config with only the small-scale changes of
# ./_base_/small_scale.py; neck widths follow the backbone's 512 channels, as DenseCL's R18.
_base_ = [
    'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
    './_base_/small_scale.py',
]

model = dict(
    queue_len=_base_.small_queue_len,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
)

# ---- small-scale changes, the same block in every config of this folder ----
train_pipeline = [
    dict(
        step,
        transforms=[
            [
                dict(t, scale=_base_.small_img_size, crop_ratio_range=_base_.small_crop_ratio_range)
                if t.type.startswith('RandomResizedCrop')
                else t
                for t in view
            ]
            for view in step.transforms
        ],
    )
    if step.type.startswith('MultiView')
    else step
    for step in _base_.train_pipeline
    if step.type != 'LoadImageFromFile'  # images in memory
]
train_dataloader = dict(
    batch_size=_base_.small_batch,
    num_workers=0,
    persistent_workers=False,
    # mmengine tags every dict inherited through `mmpretrain::` with `_scope_`, which
    # default_collate would receive as an argument.
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(_delete_=True, **_base_.small_train_dataset, pipeline=train_pipeline),
)
# The recipe's schedule compressed into the run's single epoch (warm-up fraction kept).
param_scheduler = [
    dict(
        s,
        convert_to_iter_based=True,
        **{k: s[k] / _base_.train_cfg.max_epochs for k in ('begin', 'end', 'T_max') if k in s},
    )
    for s in _base_.param_scheduler
]
train_cfg = dict(max_epochs=1)
# The recipe's lr scaled linearly from its base batch to small_batch (mmengine's rule).
auto_scale_lr = dict(enable=True)
# fp32: no AMP on a CPU.
optim_wrapper = dict(
    {k: v for k, v in _base_.optim_wrapper.items() if k != 'loss_scale'},
    _delete_=True,
    type='OptimWrapper',
)
custom_hooks = _base_.get('custom_hooks', []) + [_base_.small_probe_hook]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
