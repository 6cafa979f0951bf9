# The real R18-FPN transfer benchmark (configs/benchmarks/mmdetection/coco/
# mask-rcnn_r18_fpn_ms-1x_coco.py: SyncBN, 4conv1fc, norm_eval=False, checked backbone loading)
# overridden to a CPU-sized run on synthetic COCO-style data (mmpcd.datasets.export_coco, five
# thing classes) at 128 px, a few iterations and one COCO bbox/segm evaluation. Set the data
# paths and the checkpoint with --cfg-options (demo/run_demo.py and the tests do):
#   train_dataloader.dataset.ann_file / data_prefix.img, the same for val_dataloader,
#   val_evaluator.ann_file, model.backbone.init_cfg.checkpoint.
_base_ = '../../configs/benchmarks/mmdetection/coco/mask-rcnn_r18_fpn_ms-1x_coco.py'

classes = ('circle', 'square', 'triangle', 'ring', 'cross')  # synthetic_dense.THING_CLASSES
metainfo = dict(classes=classes)
img_scale = (128, 128)

# Fewer proposals and sampled RoIs than COCO's 2000 / 512: 128-px images hold 1-4 objects,
# and the 4conv1fc head's cost grows with the RoIs.
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=len(classes)), mask_head=dict(num_classes=len(classes))
    ),
    train_cfg=dict(rpn_proposal=dict(nms_pre=256, max_per_img=64), rcnn=dict(sampler=dict(num=64))),
    # score_thr 0: a few iterations score below mmdet's 0.05, and the AP line needs detections.
    test_cfg=dict(rpn=dict(nms_pre=256, max_per_img=64), rcnn=dict(max_per_img=20, score_thr=0.0)),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='',
        ann_file=None,
        data_prefix=dict(img=None),
        metainfo=metainfo,
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root='',
        ann_file=None,
        data_prefix=dict(img=None),
        metainfo=metainfo,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None, metric=['bbox', 'segm'], format_only=False)
test_evaluator = val_evaluator

max_iters = 8
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters
)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4)]
default_hooks = dict(
    logger=dict(interval=2),
    checkpoint=dict(by_epoch=False, interval=max_iters),
    visualization=dict(draw=False),
)
log_processor = dict(by_epoch=False)
