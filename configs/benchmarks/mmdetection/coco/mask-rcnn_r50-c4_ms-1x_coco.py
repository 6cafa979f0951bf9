# Mask R-CNN R50-C4 1x on COCO (detectron2's COCO_R_50_C4_1x as in PixPro/DenseCL), on mmdet's
# caffe-C4 config turned into the benchmark's torchvision-style model:
# - RGB input with ImageNet mean/std (the SSL checkpoints' normalisation), style='pytorch'
#   (stride in the 3x3 conv, detectron2's STRIDE_IN_1X1: False);
# - SyncBN, norm_eval=False, frozen_stages=-1;
# - res5 lives in the RoI head: a `ResLayerExtraNorm` shared head (res5 plus a norm after it,
#   detectron2's Res5ROIHeadsExtraNorm, registered into mmdet by mmpretrain). mmdet names its
#   block `layer4`, so the same `backbone.*` prefix loads `backbone.layer4.*` into it: the
#   shared head has its own init_cfg (dist_train_c4.sh fills in both checkpoints);
# - multi-scale training, short side 640-800.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py'

custom_imports = dict(
    imports=['mmpcd.evaluation', 'mmpretrain.models.utils.res_layer_extra_norm'],
    allow_failed_imports=False,
)

norm_cfg = dict(type='SyncBN', requires_grad=True)
pretrained = dict(type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.')

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
    ),
    backbone=dict(
        frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, style='pytorch', init_cfg=pretrained
    ),
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=pretrained,
        )
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
