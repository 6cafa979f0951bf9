# Mask R-CNN R50-FPN 1x on COCO: the SSL transfer benchmark (PixPro / DenseCL / detectron2's
# COCO_R_50_FPN_1x) on mmdet's own config. Conventions of the benchmark, as the papers:
# - SyncBN in backbone, FPN and heads; BN trained (norm_eval=False), no stage frozen
#   (frozen_stages=-1): SSL features need their normalisation fine-tuned;
# - box head 4conv1fc with SyncBN (detectron2's FastRCNNConvFCHead NUM_CONV 4 NUM_FC 1);
# - multi-scale training, short side 640-800 (long side <= 1333);
# - the backbone comes from the *full* pre-training checkpoint via `backbone.*`. Launch with
#   tools/benchmarks/mmdetection/dist_train_fpn.sh CONFIG CHECKPOINT GPUS, which fills in
#   init_cfg.checkpoint; mmpcd's `Pretrained` (scope mmpcd) logs how many tensors it loaded
#   and stops when none fit. 16 images per iteration (8 GPUs x 2) as the recipe.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmpcd.evaluation'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
pretrained = dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.')

model = dict(
    backbone=dict(frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, init_cfg=pretrained),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg),
    ),
)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True,
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
