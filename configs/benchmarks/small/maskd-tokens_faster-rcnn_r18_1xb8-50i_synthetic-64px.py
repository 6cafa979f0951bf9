# MasKD stage 1 of the benchmark: receptive tokens learnt on the frozen detector teacher
# (set model.teacher_ckpt) on the small benchmark's synthetic images, 50 iterations x 8.
_base_ = [
    '../../../projects/maskd/configs/tiny/maskd-tokens_faster-rcnn_r18_tiny_synthetic.py',
    './_base_/small_scale.py',
]

train_dataloader = dict(
    batch_size=_base_.small_det_batch,
    dataset=dict(_delete_=True, **_base_.small_train_dataset, pipeline=_base_.train_pipeline),
)
train_cfg = dict(max_iters=_base_.small_token_iters)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=_base_.small_token_iters,
        eta_min=1e-6,
        by_epoch=False,
        begin=0,
        end=_base_.small_token_iters,
    )
]
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=_base_.small_token_iters, max_keep_ckpts=1)
)
randomness = dict(seed=0)
