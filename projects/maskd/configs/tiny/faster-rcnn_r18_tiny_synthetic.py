# A tiny Faster R-CNN (ResNet-18, 32-channel FPN) on the embedded synthetic detection data
# (5 thing classes, 64 px): the teacher and student architecture of the MasKD demo and tests.
# Trains on the CPU in seconds: PYTHONPATH=. python tools/train.py <this config>
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py'

model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=32),
    rpn_head=dict(
        in_channels=32,
        feat_channels=32,
        # 64 px images: anchors of 16-256 px instead of 32-512.
        anchor_generator=dict(scales=[4]),
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64, num_classes=5),
    ),
    # A 64 px image holds 1-4 objects: 128 sampled RoIs per image instead of COCO's 512 (a
    # quarter of the CPU RoIAlign backward, the step's largest cost, and fewer negatives
    # swamping the few positives).
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))),
)

# The dataset builds its pipeline in the mmpcd scope: name mmdet's transforms explicitly.
train_pipeline = [
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=(64, 64), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        _scope_='mmpcd',  # mmpcd's registry is not a direct child of the root
        type='SyntheticDenseDataset',
        num_images=16,
        seed=0,
        pipeline=train_pipeline,
    ),
)
# Training only: the demo checks inference through the exported student directly.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=8)
param_scheduler = []
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=4))
log_processor = dict(by_epoch=False)
