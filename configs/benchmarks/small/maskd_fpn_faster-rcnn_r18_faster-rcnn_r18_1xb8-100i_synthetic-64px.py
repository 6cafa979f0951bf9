# MasKD stage 2 of the benchmark: the student detector distilled through the stage-1 tokens
# (set model.teacher_ckpt and model.maskd_loss.tokens) with the student budget of
# faster-rcnn_r18_1xb8-100i_synthetic-64px.py and the same box AP evaluation.
_base_ = [
    '../../../projects/maskd/configs/tiny/'
    'maskd_fpn_faster-rcnn_r18_faster-rcnn_r18_tiny_synthetic.py',
    './_base_/small_scale.py',
]

test_pipeline = [
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(
        type='mmdet.Resize', scale=(_base_.small_img_size, _base_.small_img_size), keep_ratio=True
    ),
    # `instances` (the raw boxes) is what CocoMetric without an ann_file evaluates against.
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'ori_shape', 'img_shape', 'scale_factor', 'instances'),
    ),
]
model = dict(maskd_loss=dict(custom_mask_warmup=_base_.small_det_iters // 2))
train_dataloader = dict(
    batch_size=_base_.small_det_batch,
    dataset=dict(_delete_=True, **_base_.small_train_dataset, pipeline=_base_.train_pipeline),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_base_.small_det_val_dataset, pipeline=test_pipeline),
)
val_evaluator = dict(
    _delete_=True, type='CocoMetric', ann_file=None, metric='bbox', format_only=False
)
val_cfg = dict(_delete_=True, type='ValLoop')
train_cfg = dict(max_iters=_base_.small_det_iters, val_interval=_base_.small_det_iters)
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=_base_.small_det_iters, max_keep_ckpts=1)
)
randomness = dict(seed=0)
